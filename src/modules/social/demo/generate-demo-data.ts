/**
 * Writes the social desk's demo dataset: about 30 SYNTHETIC centres (not real centres, no persons) placed
 * inside the real boundaries of Casablanca-Settat, and a reference point per place (commune, or
 * arrondissement in Casablanca) for distances. Deterministic; run once and commit the JSON:
 *   npx tsx src/modules/social/demo/generate-demo-data.ts
 */
import { writeFileSync } from 'node:fs';
import { bboxOf, pointInGeometry, type PolygonGeometry } from '../../../region/point-in-polygon.ts';
import { Rng } from '../../../region/random.ts';
import { loadRegionData } from '../../../region/region-data.ts';

const TYPES = {
  orientation: { fr: "Centre d'accueil et d'orientation", ar: 'مركز الاستقبال والتوجيه' },
  rehabilitation: { fr: 'Centre de rééducation fonctionnelle', ar: 'مركز الترويض الوظيفي' },
  'medico-social': { fr: 'Centre médico-social', ar: 'المركز الطبي الاجتماعي' },
  education: { fr: "Centre d'éducation inclusive", ar: 'مركز التربية الدامجة' },
  vocational: { fr: 'Centre de formation et d’insertion professionnelle', ar: 'مركز التكوين والإدماج المهني' },
  'day-care': { fr: "Centre d'accueil de jour", ar: 'مركز الاستقبال النهاري' },
  psychosocial: { fr: "Centre d'écoute et de soutien psychosocial", ar: 'مركز الإنصات والدعم النفسي الاجتماعي' },
} as const;
type CentreType = keyof typeof TYPES;

const SERVICES_BY_TYPE: Record<CentreType, string[]> = {
  orientation: ['social-assistance', 'family-support', 'assistive-devices'],
  rehabilitation: ['physiotherapy', 'occupational-therapy', 'speech-therapy', 'assistive-devices'],
  'medico-social': ['medical-followup', 'physiotherapy', 'psychological-support', 'social-assistance'],
  education: ['special-education', 'speech-therapy', 'sign-language', 'braille'],
  vocational: ['vocational-training', 'job-placement', 'sign-language'],
  'day-care': ['day-care', 'occupational-therapy', 'family-support'],
  psychosocial: ['psychological-support', 'family-support', 'social-assistance'],
};
const DOMAINS_BY_TYPE: Record<CentreType, string[]> = {
  orientation: ['mobility', 'vision', 'hearing', 'intellectual', 'psychosocial', 'communication', 'self-care'],
  rehabilitation: ['mobility', 'self-care', 'communication'],
  'medico-social': ['mobility', 'psychosocial', 'self-care'],
  education: ['intellectual', 'communication', 'hearing', 'vision'],
  vocational: ['mobility', 'hearing', 'vision', 'intellectual'],
  'day-care': ['intellectual', 'self-care', 'psychosocial'],
  psychosocial: ['psychosocial', 'communication'],
};
const ACCESSIBILITY = ['step-free-entrance', 'accessible-toilet', 'lift-or-ground-floor', 'accessible-parking', 'tactile-guidance', 'sign-language-staff', 'hearing-loop'];
const HOURS = ['Mo-Fr 08:30-16:30', 'Mo-Fr 09:00-17:00', 'Mo-Sa 08:00-14:00', 'Mo-Fr 08:30-16:30; Sa 09:00-12:00'];

/** Where centres go: Casablanca's arrondissements get one each (it is half the region), then the larger towns. */
const TOWNS = ['061170103', '064610115', '061810103', '063710101', '063850101', '063850102', '061110101', '064670107', '063550101', '061170109', '061810101', '061110103', '063710103', '064610101'];

function pointIn(geometry: PolygonGeometry, rng: Rng): [number, number] {
  const b = bboxOf(geometry);
  for (let i = 0; i < 10_000; i++) {
    const x = rng.between(b.minX, b.maxX);
    const y = rng.between(b.minY, b.maxY);
    if (pointInGeometry(x, y, geometry)) return [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5];
  }
  throw new Error('no point found');
}

/** A point well inside the place: the sampled interior point closest to the bbox centre. */
function referencePoint(geometry: PolygonGeometry, key: string): [number, number] {
  const rng = new Rng(20260101, `ref|${key}`);
  const b = bboxOf(geometry);
  const cx = (b.minX + b.maxX) / 2;
  const cy = (b.minY + b.maxY) / 2;
  if (pointInGeometry(cx, cy, geometry)) return [Math.round(cx * 1e5) / 1e5, Math.round(cy * 1e5) / 1e5];
  let best: [number, number] | undefined;
  let bestD = Infinity;
  for (let i = 0; i < 40; i++) {
    const p = pointIn(geometry, rng);
    const d = (p[0] - cx) ** 2 + (p[1] - cy) ** 2;
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best!;
}

const region = loadRegionData();
const communes = new Map(region.communes.map((c) => [c.code, c]));
const places = [
  ...region.communes.filter((c) => !region.arrondissements.some((a) => a.communeCode === c.code)).map((c) => ({ code: c.code, communeCode: c.code, nameFr: c.nameFr, nameAr: c.nameAr, geometry: c.geometry })),
  ...region.arrondissements.map((a) => ({ code: a.code, communeCode: a.communeCode, nameFr: a.nameFr, nameAr: a.nameAr, geometry: a.geometry })),
];
const types = Object.keys(TYPES) as CentreType[];
const slots = [...region.arrondissements.map((a) => a.code), ...TOWNS];
const centres = slots.map((placeCode, i) => {
  const place = places.find((p) => p.code === placeCode);
  if (!place) throw new Error(`unknown place ${placeCode}`);
  const rng = new Rng(20260101, `centre|${i}`);
  const type = i < 3 ? 'orientation' : types[(i * 5 + 3) % types.length];
  const extra = rng.next() < 0.4 ? [rng.weighted(['psychological-support', 'assistive-devices', 'family-support', 'social-assistance'].map((s) => [s, 1] as const))] : [];
  const capacity = rng.int(3, 16) * 10;
  const enrolled = Math.min(capacity, Math.round(capacity * rng.between(0.7, 1.05)));
  const waitingList = enrolled >= capacity ? rng.int(2, 60) : 0;
  const commune = communes.get(place.communeCode)!;
  const n = String(i + 1).padStart(3, '0');
  return {
    id: `demo-centre-${n}`,
    synthetic: true,
    name: { fr: `${TYPES[type].fr} ${place.nameFr}`, ar: `${TYPES[type].ar} ${place.nameAr}` },
    type,
    services: [...new Set([...SERVICES_BY_TYPE[type], ...extra])].sort(),
    domains: DOMAINS_BY_TYPE[type],
    accessibility: ACCESSIBILITY.filter(() => rng.next() < 0.55),
    capacity,
    enrolled,
    waitingList,
    averageWaitDays: waitingList ? Math.round(waitingList * rng.between(1, 3)) : 0,
    openingHours: HOURS[rng.int(0, HOURS.length - 1)],
    location: pointIn(place.geometry, rng),
    placeCode: place.code,
    communeCode: place.communeCode,
    communeName: { fr: commune.nameFr, ar: commune.nameAr },
  };
});

const note = 'SYNTHETIC demo data generated by Madina (src/modules/social/demo/generate-demo-data.ts): these centres do not exist. Positions lie inside OpenStreetMap boundaries (© OpenStreetMap contributors, ODbL 1.0).';
writeFileSync(new URL('./demo-centres.json', import.meta.url), JSON.stringify({ note, centres }, null, 1) + '\n');
const points = Object.fromEntries(places.map((p) => [p.code, { communeCode: p.communeCode, nameFr: p.nameFr, nameAr: p.nameAr, point: referencePoint(p.geometry, p.code) }]));
writeFileSync(
  new URL('./place-points.json', import.meta.url),
  JSON.stringify({ note: 'Reference point (inside the boundary, near its bbox centre) of each commune of Casablanca-Settat and each arrondissement of Casablanca; derived from OpenStreetMap boundaries (© OpenStreetMap contributors, ODbL 1.0).', places: points }) + '\n',
);
console.log(`${centres.length} centres, ${places.length} places`);
