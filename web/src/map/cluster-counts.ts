import maplibregl, { type Map as MlMap } from 'maplibre-gl';

/**
 * Cluster counts drawn as small HTML labels: the map style has no text layers (no glyphs to fetch),
 * so the numbers on visible clusters are DOM elements, placed and reused as the map moves.
 */
export class ClusterCounts {
  private readonly markers = new Map<string, maplibregl.Marker>();
  private scheduled = false;

  constructor(
    private readonly map: MlMap,
    private readonly sources: () => string[],
    private readonly format: () => (n: number) => string,
  ) {
    const update = () => this.schedule();
    map.on('moveend', update);
    map.on('sourcedata', (e) => {
      if (e.isSourceLoaded && this.sources().includes(e.sourceId)) update();
    });
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.update();
    });
  }

  update() {
    const fmt = this.format();
    const seen = new Set<string>();
    for (const source of this.sources()) {
      if (!this.map.getSource(source)) continue;
      for (const f of this.map.querySourceFeatures(source, { filter: ['has', 'point_count'] })) {
        const p = f.properties as { cluster_id: number; point_count: number };
        const key = `${source}:${p.cluster_id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const coords = (f.geometry as GeoJSON.Point).coordinates as [number, number];
        let m = this.markers.get(key);
        if (!m) {
          const el = document.createElement('div');
          el.className = 'cluster-count';
          el.setAttribute('aria-hidden', 'true');
          m = new maplibregl.Marker({ element: el }).setLngLat(coords).addTo(this.map);
          this.markers.set(key, m);
        } else m.setLngLat(coords);
        m.getElement().textContent = fmt(p.point_count);
      }
    }
    for (const [key, m] of this.markers) {
      if (!seen.has(key)) {
        m.remove();
        this.markers.delete(key);
      }
    }
  }
}
