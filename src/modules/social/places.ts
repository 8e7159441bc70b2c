/** Places a person may live in (communes of the region, Casablanca's arrondissements) and their reference points. */
import { readFileSync } from 'node:fs';

export interface Place {
  code: string;
  communeCode: string;
  nameFr: string;
  nameAr: string;
  point: [number, number];
}

let cache: Map<string, Place> | undefined;

export function places(): Map<string, Place> {
  if (!cache) {
    const raw = JSON.parse(readFileSync(new URL('./demo/place-points.json', import.meta.url), 'utf8')) as { places: Record<string, Omit<Place, 'code'>> };
    cache = new Map(Object.entries(raw.places).map(([code, p]) => [code, { code, ...p }]));
  }
  return cache;
}
