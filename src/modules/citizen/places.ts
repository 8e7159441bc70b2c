/** Where a report is: the commune and arrondissement holding a point (point-in-polygon on the shipped boundaries). */
import { PlaceLocator } from '../../region/places.ts';
import { loadRegionData, type RegionData } from '../../region/region-data.ts';

/** Lower case without accents, so "medina" finds "Médina". */
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export interface ReportPlace {
  communeCode: string;
  communeName: { fr: string; ar: string };
  arrondissementCode: string | null;
  arrondissementName: { fr: string; ar: string } | null;
  scope: string;
}

export class CitizenPlaces {
  private readonly locator: PlaceLocator;
  private readonly communes: Map<string, { fr: string; ar: string; population: number | null }>;
  private readonly arrondissements: Map<string, { fr: string; ar: string }>;
  private readonly stops: { name: string; nameAr: string | null; lon: number; lat: number; folded: string }[];

  constructor(data: RegionData = loadRegionData()) {
    this.locator = new PlaceLocator(data);
    this.communes = new Map(data.communes.map((c) => [c.code, { fr: c.nameFr, ar: c.nameAr, population: c.population2024 }]));
    this.arrondissements = new Map(data.arrondissements.map((a) => [a.code, { fr: a.nameFr, ar: a.nameAr }]));
    const seen = new Set<string>();
    this.stops = [];
    for (const f of data.transit) {
      const name = f.tags['name:fr'] ?? f.tags.name;
      if (f.geometry.type !== 'Point' || !name || seen.has(name)) continue;
      seen.add(name);
      const [lon, lat] = f.geometry.coordinates as number[];
      this.stops.push({ name, nameAr: f.tags['name:ar'] ?? null, lon, lat, folded: fold(`${name} ${f.tags['name:ar'] ?? ''}`) });
    }
  }

  /** Nearest landmarks by name (tram and busway stops of the shipped open data), for typing a place instead of pointing. */
  landmarks(query: string, limit: number): { name: string; nameAr: string | null; lon: number; lat: number; kind: 'transit-stop' }[] {
    const q = fold(query.trim());
    if (q.length < 2) return [];
    return this.stops
      .filter((s) => s.folded.includes(q))
      .sort((a, b) => Number(!a.folded.startsWith(q)) - Number(!b.folded.startsWith(q)) || a.name.localeCompare(b.name))
      .slice(0, limit)
      .map(({ name, nameAr, lon, lat }) => ({ name, nameAr, lon, lat, kind: 'transit-stop' as const }));
  }

  locate(lon: number, lat: number): ReportPlace | undefined {
    const p = this.locator.locate(lon, lat);
    if (!p) return undefined;
    const c = this.communes.get(p.communeCode)!;
    const a = p.arrondissementCode ? this.arrondissements.get(p.arrondissementCode) : undefined;
    return {
      communeCode: p.communeCode,
      communeName: { fr: c.fr, ar: c.ar },
      arrondissementCode: p.arrondissementCode ?? null,
      arrondissementName: a ? { fr: a.fr, ar: a.ar } : null,
      scope: p.scope,
    };
  }

  isCommune(code: string): boolean {
    return this.communes.has(code);
  }

  communeName(code: string): { fr: string; ar: string } | undefined {
    const c = this.communes.get(code);
    return c ? { fr: c.fr, ar: c.ar } : undefined;
  }

  /** 2024 census population of the shipped data (used when the hub has no Commune entity). */
  population(code: string): number | undefined {
    return this.communes.get(code)?.population ?? undefined;
  }
}
