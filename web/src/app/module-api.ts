/**
 * The module APIs (`/api/...`) from the browser: same origin, session cookie, JSON in and out. A failure
 * is an ApiProblem carrying the RFC 9457 body, so pages can show its detail, per-field `errors` or any
 * extension member (e.g. the waste planner's lists).
 */

export interface FieldError {
  pointer: string;
  detail: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail);
  }

  /** Per-field errors of a validation problem (empty for other problems). */
  get errors(): FieldError[] {
    return Array.isArray(this.body.errors) ? (this.body.errors as FieldError[]) : [];
  }
}

/** The JSON of an answer, or its problem thrown. */
export async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiProblem(res.status, json?.type ?? '', json?.detail ?? json?.title ?? String(res.status), json ?? {});
  return json as T;
}

/** `method /api<path>` with an optional JSON body. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return readAnswer<T>(res);
}
