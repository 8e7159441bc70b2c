import maplibregl, { type GeoJSONSource, type Map as MlMap } from 'maplibre-gl';
import { useCallback, useEffect, useRef } from 'react';
import { MapView } from '../../map/MapView';
import { truckColour, type Plan } from './waste-api';

const CASABLANCA = { center: [-7.6, 33.57] as [number, number], zoom: 10 };
const EMPTY = { type: 'FeatureCollection' as const, features: [] };
/** Numbered stop labels are HTML markers (the map style has no glyphs); beyond this many, circles only. */
const MAX_LABELS = 300;

function features(plan: Plan) {
  const depots = new Map(plan.depots.map((d) => [d.id, d]));
  const lines = plan.routes.map((r) => {
    const d = depots.get(r.depotId);
    const coords = [...(d ? [[d.lon, d.lat]] : []), ...r.stops.map((s) => [s.lon, s.lat]), ...(d ? [[d.lon, d.lat]] : [])];
    return { type: 'Feature' as const, geometry: { type: 'LineString' as const, coordinates: coords }, properties: { truck: r.truck, colour: truckColour(r.truck) } };
  });
  const stops = plan.routes.flatMap((r) =>
    r.stops.map((s) => ({ type: 'Feature' as const, geometry: { type: 'Point' as const, coordinates: [s.lon, s.lat] }, properties: { truck: r.truck, seq: s.seq, colour: truckColour(r.truck) } })),
  );
  const depotPts = plan.depots.map((d) => ({ type: 'Feature' as const, geometry: { type: 'Point' as const, coordinates: [d.lon, d.lat] }, properties: { id: d.id } }));
  return { lines, stops, depotPts };
}

/** The plan on the map: one colour per truck, its path from the depot through the numbered stops and back. */
export function PlanMap({ plan, label }: { plan: Plan | null; label: string }) {
  const mapRef = useRef<MlMap | null>(null);
  const markers = useRef<maplibregl.Marker[]>([]);
  const planRef = useRef(plan);
  planRef.current = plan;

  const draw = useCallback((map: MlMap, p: Plan | null) => {
    for (const m of markers.current) m.remove();
    markers.current = [];
    const f = p ? features(p) : { lines: [], stops: [], depotPts: [] };
    (map.getSource('waste-routes') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features: f.lines });
    (map.getSource('waste-stops') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features: f.stops });
    (map.getSource('waste-depots') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features: f.depotPts });
    if (!p) return;
    if (f.stops.length <= MAX_LABELS) {
      for (const s of f.stops) {
        const el = document.createElement('span');
        el.className = 'waste-stop-label';
        el.textContent = String(s.properties.seq);
        el.style.borderColor = s.properties.colour;
        el.setAttribute('aria-hidden', 'true');
        markers.current.push(new maplibregl.Marker({ element: el }).setLngLat(s.geometry.coordinates as [number, number]).addTo(map));
      }
    }
    const pts = [...f.stops, ...f.depotPts].map((x) => x.geometry.coordinates as [number, number]);
    if (pts.length) {
      const b = new maplibregl.LngLatBounds(pts[0], pts[0]);
      for (const c of pts) b.extend(c);
      map.fitBounds(b, { padding: 40, maxZoom: 16, duration: 0 });
    }
  }, []);

  const onReady = useCallback(
    (map: MlMap) => {
      mapRef.current = map;
      map.addSource('waste-routes', { type: 'geojson', data: EMPTY });
      map.addSource('waste-stops', { type: 'geojson', data: EMPTY });
      map.addSource('waste-depots', { type: 'geojson', data: EMPTY });
      map.addLayer({ id: 'waste-routes', type: 'line', source: 'waste-routes', paint: { 'line-color': ['get', 'colour'], 'line-width': 3, 'line-opacity': 0.85 }, layout: { 'line-join': 'round', 'line-cap': 'round' } });
      map.addLayer({ id: 'waste-stops', type: 'circle', source: 'waste-stops', paint: { 'circle-radius': 5, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
      map.addLayer({ id: 'waste-depots', type: 'circle', source: 'waste-depots', paint: { 'circle-radius': 8, 'circle-color': '#222', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      draw(map, planRef.current);
    },
    [draw],
  );

  useEffect(() => {
    if (mapRef.current) draw(mapRef.current, plan);
  }, [plan, draw]);

  return (
    <div className="map-frame waste-map">
      <MapView onReady={onReady} initial={CASABLANCA} label={label} className="waste" />
    </div>
  );
}
