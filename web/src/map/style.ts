import type { StyleSpecification } from 'maplibre-gl';

/**
 * Madina's own map style, built in code from local sources only: no tiles, fonts or sprites are
 * fetched (the app works with no internet behind the server). No text layers, so no glyphs needed.
 */
export const PALETTE = {
  background: '#e9eef0',
  land: '#f7f6f2',
  communeLine: '#8a9aa3',
  communeLineStrong: '#4a5a63',
  arrondissementFill: '#eef3f5',
  arrondissementLine: '#9fb1ba',
  sea: '#cfe3ee',
  focus: '#0b4f6c',
};

export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    name: 'madina',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': PALETTE.sea } }],
  };
}

export const CASABLANCA = { center: [-7.59, 33.565] as [number, number], zoom: 11.2 };
export const REGION_BOUNDS: [[number, number], [number, number]] = [
  [-9.06, 32.3],
  [-6.76, 33.83],
];

export const prefersReducedMotion = () => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
