import maplibregl, { type Map as MlMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { addOperatorBasemap } from './basemap';
import { baseStyle } from './style';

/**
 * A MapLibre map on Madina's own style. `onReady` runs once the style is loaded (add sources and
 * layers there); the map is handed back for the page to drive.
 */
export function MapView({
  onReady,
  initial,
  label,
  className,
}: {
  onReady: (map: MlMap) => void;
  initial: { center?: [number, number]; zoom?: number; bounds?: [[number, number], [number, number]] };
  label: string;
  className?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  const { t, i18n } = useTranslation();
  const rtl = i18n.dir() === 'rtl';

  useEffect(() => {
    if (!ref.current) return;
    const map = new maplibregl.Map({
      container: ref.current,
      style: baseStyle(),
      center: initial.center,
      zoom: initial.zoom,
      bounds: initial.bounds,
      fitBoundsOptions: { padding: 16 },
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxZoom: 19,
      fadeDuration: 0,
    });
    map.touchZoomRotate.disableRotation();
    mapRef.current = map;
    const w = window as unknown as { madina?: { maps?: Record<string, MlMap> } };
    w.madina = w.madina ?? {};
    w.madina.maps = { ...(w.madina.maps ?? {}), [className ?? 'map']: map };
    map.on('load', () => {
      void addOperatorBasemap(map);
      onReady(map);
    });
    return () => {
      mapRef.current = null;
      map.remove();
    };
    // The map is created once per mount; later prop changes are applied by the page through `map`.
  }, []);

  // Controls sit on the reading-end side: right in French and English, left in Arabic.
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const nav = new maplibregl.NavigationControl({ showCompass: false });
    const scale = new maplibregl.ScaleControl({ unit: 'metric' });
    const attribution = new maplibregl.AttributionControl({ compact: false, customAttribution: [t('map.attributionOsm'), t('map.attributionHcp')] });
    // MapLibre's own control labels, in the reader's language (read when a control is added).
    Object.assign((map as unknown as { _locale: Record<string, string> })._locale, {
      'NavigationControl.ZoomIn': t('map.zoomIn'),
      'NavigationControl.ZoomOut': t('map.zoomOut'),
      'NavigationControl.ResetBearing': t('map.resetBearing'),
      'ScaleControl.Meters': t('map.metres'),
      'ScaleControl.Kilometers': t('map.kilometres'),
    });
    map.addControl(nav, rtl ? 'top-left' : 'top-right');
    map.addControl(scale, rtl ? 'bottom-right' : 'bottom-left');
    map.addControl(attribution, rtl ? 'bottom-left' : 'bottom-right');
    const canvas = map.getCanvasContainer();
    canvas.setAttribute('aria-label', label);
    canvas.setAttribute('role', 'application');
    map.getCanvas().setAttribute('aria-label', label);
    return () => {
      // The map may already be gone (page left): its controls went with it.
      if (mapRef.current !== map) return;
      map.removeControl(nav);
      map.removeControl(scale);
      map.removeControl(attribution);
    };
  }, [rtl, t, label]);

  return <div ref={ref} className={`map ${className ?? ''}`} />;
}
