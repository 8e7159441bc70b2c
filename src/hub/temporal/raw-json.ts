import { randomBytes } from 'node:crypto';

/**
 * JSON texts spliced verbatim into one answer: day packs hold their values already as JSON, so a
 * 1,000-entity history read writes them out without parsing and re-serialising ~100,000 values. Each text
 * is a placeholder in the body that serialises to a token (NUL, a per-answer nonce and an index: stored
 * JSON never holds NUL, PostgreSQL refuses it), replaced by the text after JSON.stringify.
 */
export class RawJsonSet {
  private readonly texts: string[] = [];
  private readonly nonce = randomBytes(6).toString('hex');

  /** A placeholder for `text`, which must be valid JSON. */
  add(text: string): unknown {
    const token = `\u0000${this.nonce}:${this.texts.push(text) - 1}`;
    return { toJSON: () => token };
  }

  get size(): number {
    return this.texts.length;
  }

  stringify(body: unknown): string {
    const json = JSON.stringify(body);
    if (!this.texts.length) return json;
    return json.replace(new RegExp(`"\\\\u0000${this.nonce}:(\\d+)"`, 'g'), (_, i: string) => this.texts[Number(i)]);
  }
}
