/**
 * Collects bind parameters while SQL text is assembled, so no value is ever spliced into SQL.
 * `add(v)` returns the placeholder (`$n`) to write into the text.
 */
export class SqlParams {
  readonly values: unknown[] = [];
  /**
   * The SQL type of each parameter added with `addPerQuery` (1-based position → type): values that may
   * differ between queries answered by one grouped statement (entities/query-batcher.ts).
   */
  readonly perQuery = new Map<number, string>();

  constructor(startAfter: readonly unknown[] = []) {
    this.values.push(...startAfter);
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * A parameter that queries of one shape may each give differently and still be answered together: a
   * q-expression's values, a geo-query's point. Only values whose row estimates do not steer the plan
   * belong here (the grouped statement sees them as columns, unknown when it is planned); `sqlType` is
   * the type the text casts the placeholder to.
   */
  addPerQuery(value: unknown, sqlType: string): string {
    const placeholder = this.add(value);
    this.perQuery.set(this.values.length, sqlType);
    return placeholder;
  }
}
