import { describe, expect, it } from 'vitest';
import { serviceByCode } from './catalogue.ts';
import { readReportInput, requestJson, validateReport, type PublicRequest } from './open311.ts';

const form = (s: string) => readReportInput(new URLSearchParams(s));
const problemOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { status: number; type: string; detail?: string };
  }
  throw new Error('did not throw');
};

describe('reading an Open311 POST', () => {
  it('reads form fields, single and list attributes and contact details', () => {
    const input = form('service_code=dechets-depot-sauvage&lat=33.59&long=-7.62&attribute[kinds][]=rubble&attribute[kinds][]=bulky&attribute[volume_m3]=2.5&email=a%40b.ma&api_key=demo');
    expect(input).toMatchObject({ serviceCode: 'dechets-depot-sauvage', lat: '33.59', long: '-7.62', apiKey: 'demo', contact: { email: 'a@b.ma' } });
    expect(input.attributes).toEqual({ kinds: ['rubble', 'bulky'], volume_m3: ['2.5'] });
    const v = validateReport(input, serviceByCode('dechets-depot-sauvage'));
    expect(v.attributes).toEqual({ kinds: ['rubble', 'bulky'], volume_m3: 2.5 });
    expect(v.lon).toBe(-7.62);
  });

  it('reads JSON with an attribute object', () => {
    const input = readReportInput(Object.entries({ service_code: 'eclairage-panne', lat: 33.5, long: -7.6, attribute: { fault: 'off' } }));
    expect(validateReport(input, serviceByCode('eclairage-panne')).attributes).toEqual({ fault: 'off' });
  });
});

describe('refusing bad reports', () => {
  const lamp = serviceByCode('eclairage-panne');
  it('needs a service_code and a location', () => {
    expect(problemOf(() => validateReport(form('lat=1&long=2'), lamp)).type).toBe('/problems/citizen/missing-service-code');
    expect(problemOf(() => validateReport(form('service_code=x&lat=1&long=2'), undefined)).status).toBe(400);
    expect(problemOf(() => validateReport(form('service_code=eclairage-panne&attribute[fault]=off'), lamp)).type).toBe('/problems/citizen/missing-location');
    expect(problemOf(() => validateReport(form('service_code=eclairage-panne&lat=95&long=2&attribute[fault]=off'), lamp)).type).toBe('/problems/citizen/bad-location');
  });
  it('checks list values, required attributes, numbers, dates and unknown attributes', () => {
    expect(problemOf(() => validateReport(form('service_code=eclairage-panne&lat=33&long=-7&attribute[fault]=exploded'), lamp)).detail).toMatch(/"exploded" is not in the list/);
    expect(problemOf(() => validateReport(form('service_code=eclairage-panne&lat=33&long=-7'), lamp)).detail).toBe('attribute[fault] is required');
    expect(problemOf(() => validateReport(form('service_code=eclairage-panne&lat=33&long=-7&attribute[fault]=off&attribute[colour]=red'), lamp)).type).toBe('/problems/citizen/bad-attribute');
    const dump = serviceByCode('dechets-depot-sauvage');
    expect(problemOf(() => validateReport(form('service_code=dechets-depot-sauvage&lat=33&long=-7&attribute[kinds][]=rubble&attribute[kinds][]=gold'), dump)).detail).toMatch(/"gold"/);
    expect(problemOf(() => validateReport(form('service_code=dechets-depot-sauvage&lat=33&long=-7&attribute[kinds]=rubble&attribute[volume_m3]=lots'), dump)).detail).toMatch(/not a number/);
    const sign = serviceByCode('mobilier-signalisation');
    expect(problemOf(() => validateReport(form('service_code=mobilier-signalisation&lat=33&long=-7&attribute[seen_at]=yesterday'), sign)).detail).toMatch(/ISO 8601/);
    expect(validateReport(form('service_code=mobilier-signalisation&lat=33&long=-7&attribute[seen_at]=2026-03-01T08:00:00%2B01:00'), sign).attributes).toEqual({ seen_at: '2026-03-01T07:00:00.000Z' });
  });
  it('limits the description to 4,000 characters', () => {
    const ok = 'x'.repeat(4000);
    expect(validateReport(form(`service_code=mobilier-banc&lat=33&long=-7&description=${ok}`), serviceByCode('mobilier-banc')).description).toBe(ok);
    expect(problemOf(() => validateReport(form(`service_code=mobilier-banc&lat=33&long=-7&description=${ok}y`), serviceByCode('mobilier-banc'))).type).toBe('/problems/citizen/description-too-long');
  });
});

describe('writing a request', () => {
  const base: PublicRequest = {
    id: '7',
    serviceCode: 'mobilier-banc',
    state: 'in_progress',
    note: 'Team on Tuesday',
    description: 'Bench broken',
    address: null,
    addressId: null,
    lat: 33.5,
    lon: -7.6,
    communeCode: '006141010',
    agency: 'Commune de Casablanca',
    requestedAt: new Date('2026-03-01T10:00:00.123Z'),
    updatedAt: new Date('2026-03-02T10:00:00Z'),
    expectedAt: new Date('2026-03-15T10:00:00Z'),
    mediaUrl: null,
    duplicateOf: null,
  };
  it('maps the state to open and keeps it in status_notes', () => {
    const j = requestJson(base, serviceByCode('mobilier-banc'), 'en');
    expect(j).toMatchObject({ status: 'open', status_notes: 'In progress: Team on Tuesday', requested_datetime: '2026-03-01T10:00:00Z', long: -7.6 });
  });
  it('shows a duplicate with its original status', () => {
    const dup = { ...base, id: '8', state: 'duplicate' as const, note: null, duplicateOf: '7' };
    const j = requestJson(dup, serviceByCode('mobilier-banc'), 'en', { ...base, state: 'fixed', note: 'Replaced' });
    expect(j).toMatchObject({ service_request_id: '8', status: 'closed', status_notes: 'Duplicate of service request 7. Fixed: Replaced' });
  });
});
