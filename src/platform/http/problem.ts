/**
 * Errors are declared once per API in a catalogue of ProblemTypes; code throws
 * `Catalogue.x.with({ detail })` and one error handler per API renders the body in that
 * API's own format (NGSI-LD ProblemDetails, RFC 9457 for /api, Open311's error array).
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    /** Full type URI. */
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    /** Extra members for the body (RFC 9457 extensions). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, title: this.title, status: this.status, ...(this.detail ? { detail: this.detail } : {}), ...this.extensions };
  }
}

export interface ProblemType {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  with(detail?: string, extensions?: Record<string, unknown>): Problem;
}

export function problemType(status: number, type: string, title: string): ProblemType {
  return {
    status,
    type,
    title,
    with: (detail, extensions) => new Problem(status, type, title, detail, extensions),
  };
}
