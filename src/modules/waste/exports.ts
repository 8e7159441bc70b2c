/** A plan as crews read it (pure): GeoJSON for maps and phones, CSV for spreadsheets and printouts. */
import type { Depot, PlannedRoute } from './plan.ts';

/** Distinct colours per truck (ColorBrewer Dark2 + Set1, readable on a light map). */
export const TRUCK_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00'];
export const truckColour = (truck: number) => TRUCK_COLOURS[(truck - 1) % TRUCK_COLOURS.length];

interface PlanLike {
  id: string;
  version: number;
  placeCode: string;
  date: string;
  depots: Depot[];
  routes: PlannedRoute[];
}

/** RFC 7946 FeatureCollection: one LineString per truck (depot → stops in order → depot), a Point per stop and per depot. */
export function planGeoJson(plan: PlanLike) {
  const depots = new Map(plan.depots.map((d) => [d.id, d]));
  const features: unknown[] = [];
  for (const d of plan.depots) {
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [d.lon, d.lat] }, properties: { kind: 'depot', depotId: d.id, name: d.name ?? d.id } });
  }
  for (const r of plan.routes) {
    const d = depots.get(r.depotId);
    const line = [...(d ? [[d.lon, d.lat]] : []), ...r.stops.map((s) => [s.lon, s.lat]), ...(d ? [[d.lon, d.lat]] : [])];
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: line },
      properties: { kind: 'route', truck: r.truck, colour: truckColour(r.truck), depotId: r.depotId, stops: r.stops.length, distanceKm: Math.round(r.distanceM / 100) / 10, durationMin: r.durationMin, loadL: r.loadL },
    });
    for (const s of r.stops) {
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
        properties: { kind: 'stop', truck: r.truck, colour: truckColour(r.truck), seq: s.seq, containerId: s.containerId, level: s.level, volumeL: s.volumeL, reason: s.reason, arrivalMin: s.arrivalMin },
      });
    }
  }
  return { type: 'FeatureCollection', features, properties: { planId: plan.id, version: plan.version, commune: plan.placeCode, date: plan.date } };
}

const CSV_COLUMNS = ['truck', 'seq', 'container_id', 'lon', 'lat', 'predicted_level', 'volume_l', 'reason', 'arrival_min', 'depot_id'];

function csvField(v: unknown): string {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV (CRLF line ends, header row): one row per stop, in truck then visiting order. */
export function planCsv(plan: PlanLike): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const r of plan.routes) {
    for (const s of r.stops) rows.push([r.truck, s.seq, s.containerId, s.lon, s.lat, s.level, s.volumeL, s.reason, s.arrivalMin, r.depotId].map(csvField).join(','));
  }
  return rows.join('\r\n') + '\r\n';
}
