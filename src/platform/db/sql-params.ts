/**
 * Collects bind parameters while SQL text is assembled, so no value is ever spliced into SQL.
 * `add(v)` returns the placeholder (`$n`) to write into the text.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(startAfter: readonly unknown[] = []) {
    this.values.push(...startAfter);
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
