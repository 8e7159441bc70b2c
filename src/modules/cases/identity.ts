/**
 * Identity without keeping identity numbers: a national id (CIN) is stored only as HMAC-SHA256 under
 * a secret key, enough to find the same person twice, useless to someone who reads the table without
 * the key (a plain hash of a CIN could be reversed by trying every number). Pure.
 */
import { createHmac } from 'node:crypto';

/** Upper case, no spaces, dots or dashes: "bk 123-456" and "BK123456" are the same id. */
export function normalizeNationalId(raw: string): string {
  return raw.normalize('NFKC').toUpperCase().replace(/[\s.\-_/]/g, '');
}

/** A Moroccan CIN: one or two letters then up to 7 digits; other documents: 4-20 letters and digits. */
export function isPlausibleNationalId(raw: string): boolean {
  const n = normalizeNationalId(raw);
  return /^[A-Z]{1,2}\d{1,7}$/.test(n) || /^[A-Z0-9]{4,20}$/.test(n);
}

/** HMAC-SHA256(key, normalized id), hex. */
export function nationalIdHash(key: Buffer | string, raw: string): string {
  return createHmac('sha256', key).update(normalizeNationalId(raw)).digest('hex');
}

/** Names compared without case, accents, spaces or hyphens (Latin transcriptions vary). */
export function normalizeName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

export interface IdentityFacts {
  nationalIdHash?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  birthDate?: string | null;
}

export type DuplicateReason = 'same-national-id' | 'same-name-and-birth-date';

/** Why two persons may be the same one (empty: no reason to think so). */
export function duplicateReasons(a: IdentityFacts, b: IdentityFacts): DuplicateReason[] {
  const out: DuplicateReason[] = [];
  if (a.nationalIdHash && a.nationalIdHash === b.nationalIdHash) out.push('same-national-id');
  if (
    a.birthDate &&
    a.birthDate === b.birthDate &&
    a.givenName &&
    b.givenName &&
    a.familyName &&
    b.familyName &&
    normalizeName(a.givenName) === normalizeName(b.givenName) &&
    normalizeName(a.familyName) === normalizeName(b.familyName)
  ) {
    out.push('same-name-and-birth-date');
  }
  return out;
}
