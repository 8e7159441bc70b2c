import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { duplicateReasons, isPlausibleNationalId, nationalIdHash, normalizeName, normalizeNationalId } from './identity.ts';

describe('national id keyed hash', () => {
  it('normalizes spacing, case and separators', () => {
    expect(normalizeNationalId(' bk 123-456 ')).toBe('BK123456');
    expect(normalizeNationalId('BK.123456')).toBe('BK123456');
  });

  it('is HMAC-SHA256 of the normalized id (hand-checked against node:crypto)', () => {
    const expected = createHmac('sha256', 'k').update('BK123456').digest('hex');
    expect(nationalIdHash('k', 'bk 123456')).toBe(expected);
    expect(nationalIdHash('k', 'BK123456')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives different hashes under different keys, and never contains the id', () => {
    const a = nationalIdHash('key-one', 'BK123456');
    const b = nationalIdHash('key-two', 'BK123456');
    expect(a).not.toBe(b);
    expect(a).not.toContain('123456');
  });

  it('accepts CIN-like ids and rejects junk', () => {
    expect(isPlausibleNationalId('BK123456')).toBe(true);
    expect(isPlausibleNationalId('A1')).toBe(true);
    expect(isPlausibleNationalId('??')).toBe(false);
    expect(isPlausibleNationalId('')).toBe(false);
  });
});

describe('possible duplicates', () => {
  it('flags the same national id', () => {
    expect(duplicateReasons({ nationalIdHash: 'h1' }, { nationalIdHash: 'h1' })).toEqual(['same-national-id']);
    expect(duplicateReasons({ nationalIdHash: 'h1' }, { nationalIdHash: 'h2' })).toEqual([]);
  });

  it('flags the same name and birth date, ignoring accents and case', () => {
    expect(normalizeName('El-Amrani Zineb')).toBe('elamranizineb');
    const a = { givenName: 'Zinéb', familyName: 'El Amrani', birthDate: '1990-04-02' };
    const b = { givenName: 'zineb', familyName: 'EL-AMRANI', birthDate: '1990-04-02' };
    expect(duplicateReasons(a, b)).toEqual(['same-name-and-birth-date']);
    expect(duplicateReasons(a, { ...b, birthDate: '1990-04-03' })).toEqual([]);
    expect(duplicateReasons({ givenName: 'A', familyName: 'B' }, { givenName: 'A', familyName: 'B' })).toEqual([]);
  });
});
