import type { EntityFilter } from './store.ts';

export interface Page {
  limit: number;
  offset: number;
}

/** Answers the pages of several queries of one shape (same SQL text, same shared values), in order. */
export type RunQueries<R> = (filters: EntityFilter[], page: Page) => Promise<R[]>;

interface Pending<R> {
  filter: EntityFilter;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

interface Group<R> {
  inFlight: number;
  queue: Pending<R>[];
  page: Page;
}

export interface QueryBatcherOptions {
  /** Statements of one shape in flight at once. */
  maxInFlight?: number;
  /** Queries that must be waiting before another statement of their shape starts beside one in flight. */
  minGroup?: number;
  /** Most queries per statement. */
  maxBatch?: number;
}

/**
 * Query Entities pages, grouped by shape. Dashboards and maps ask the same query again and again with
 * other values (the area on screen, a threshold); under load, the queries of one shape that arrive while
 * a statement of that shape is in flight are answered together by one statement (store.ts,
 * queryVersionsMany): in PostgreSQL a type+q page then costs about half as much. A query alone, or the
 * first of its shape, goes at once as it always did; only its followers wait, and only for the
 * statement in flight. Queries of other shapes never wait for each other, so one slow query holds up
 * no one but its own kind.
 *
 * Queries group when their SQL text, page and every value not added per query (SqlParams.addPerQuery:
 * tenant, types, attribute names...) are equal: the values the planner estimates rows from stay
 * parameters, and the grouped statement gets the plan each query would get alone. Each query is sent
 * after it arrived, so it sees every write committed before it, as alone. If a grouped statement fails
 * (one query's bad regular expression), each query of the group runs again alone and gets its own answer
 * or error.
 */
export class QueryBatcher<R> {
  private readonly groups = new Map<string, Group<R>>();
  private readonly maxInFlight: number;
  private readonly minGroup: number;
  private readonly maxBatch: number;

  constructor(
    private readonly run: RunQueries<R>,
    opts: QueryBatcherOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.minGroup = opts.minGroup ?? 4;
    this.maxBatch = opts.maxBatch ?? 32;
  }

  query(filter: EntityFilter, page: Page): Promise<R> {
    const key = groupKey(filter, page);
    if (key === undefined) return this.run([filter], page).then((r) => r[0]);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { inFlight: 0, queue: [], page }));
    const g = group;
    return new Promise<R>((resolve, reject) => {
      g.queue.push({ filter, resolve, reject });
      this.pump(key, g);
    });
  }

  private pump(key: string, g: Group<R>): void {
    while (g.inFlight < this.maxInFlight && g.queue.length) {
      // Beside a statement in flight, another starts only for a group; each one's end sends what waits.
      if (g.inFlight > 0 && g.queue.length < this.minGroup) return;
      const batch = g.queue.splice(0, this.maxBatch);
      g.inFlight++;
      void this.answer(batch, g.page).finally(() => {
        g.inFlight--;
        if (g.inFlight === 0 && !g.queue.length) this.groups.delete(key);
        else this.pump(key, g);
      });
    }
  }

  private async answer(batch: Pending<R>[], page: Page): Promise<void> {
    try {
      const pages = await this.run(
        batch.map((p) => p.filter),
        page,
      );
      batch.forEach((p, i) => p.resolve(pages[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      await Promise.all(
        batch.map((p) =>
          this.run([p.filter], page).then(
            (r) => p.resolve(r[0]),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
  }
}

/**
 * What queries must share to be answered by one statement, or undefined if this one has nothing of its
 * own (no value added per query: grouping would only repeat one query).
 */
export function groupKey(filter: EntityFilter, page: Page): string | undefined {
  const { values, perQuery } = filter.params;
  if (!perQuery.size) return undefined;
  const shared: unknown[] = [];
  for (let i = 0; i < values.length; i++) shared.push(perQuery.has(i + 1) ? perQuery.get(i + 1) : values[i]);
  return `${page.limit}/${page.offset}\u0000${filter.where.join(' AND ')}\u0000${JSON.stringify(shared)}`;
}
