/**
 * Which asset reports next: each kind gets a share of the rate (smooth weighted round robin, so the mix is
 * exact over any window), and within a kind assets take turns. Fixed memory: the asset list and one cursor
 * per kind. Pure (no timers, no I/O).
 */
import type { Asset, AssetKind } from '../region/assets.ts';

/** Share of the message rate per kind: fast-changing sensors report more often than lamps and bins. */
export const DEFAULT_SHARES: Record<AssetKind, number> = {
  streetlight: 40,
  cabinet: 5,
  wasteContainer: 20,
  trafficCounter: 15,
  energyMeter: 10,
  airQuality: 10,
};

export class ReportScheduler {
  private readonly lists: { kind: AssetKind; assets: Asset[]; weight: number; current: number; cursor: number }[];
  private readonly totalWeight: number;

  constructor(assets: readonly Asset[], shares: Record<AssetKind, number> = DEFAULT_SHARES) {
    const byKind = new Map<AssetKind, Asset[]>();
    for (const a of assets) {
      const list = byKind.get(a.kind);
      if (list) list.push(a);
      else byKind.set(a.kind, [a]);
    }
    this.lists = [...byKind].filter(([kind]) => (shares[kind] ?? 0) > 0).map(([kind, list]) => ({ kind, assets: list, weight: shares[kind], current: 0, cursor: 0 }));
    this.totalWeight = this.lists.reduce((s, l) => s + l.weight, 0);
  }

  get size(): number {
    return this.lists.reduce((s, l) => s + l.assets.length, 0);
  }

  /** The next asset to report, or undefined when there is none. */
  next(): Asset | undefined {
    if (!this.lists.length) return undefined;
    let best = this.lists[0];
    for (const l of this.lists) {
      l.current += l.weight;
      if (l.current > best.current) best = l;
    }
    best.current -= this.totalWeight;
    const asset = best.assets[best.cursor];
    best.cursor = (best.cursor + 1) % best.assets.length;
    return asset;
  }
}
