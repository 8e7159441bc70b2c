/** HTTP pieces both citizen APIs share: body parsers (form, multipart), rate limits, language, base URL. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CitizenErrors } from './errors.ts';
import { pickLang, type Lang } from './catalogue.ts';
import { RateLimiter } from './rate-limit.ts';

/** A multipart body, parsed by the platform's own WHATWG FormData reader (no extra dependency). */
export interface MultipartBody {
  multipart: true;
  fields: [string, string][];
  files: Map<string, Uint8Array>;
}

export function isMultipart(b: unknown): b is MultipartBody {
  return typeof b === 'object' && b !== null && (b as MultipartBody).multipart === true;
}

/** application/x-www-form-urlencoded (what the Open311 standard POSTs) and multipart/form-data (photos). */
export function addBodyParsers(scope: FastifyInstance, multipartLimit: number) {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: multipartLimit }, (req, body, done) => {
    new Response(body as unknown as ArrayBuffer, { headers: { 'content-type': String(req.headers['content-type']) } })
      .formData()
      .then(async (form) => {
        const out: MultipartBody = { multipart: true, fields: [], files: new Map() };
        for (const [name, value] of form.entries()) {
          if (typeof value === 'string') out.fields.push([name, value]);
          else if (value.size > 0) out.files.set(name, new Uint8Array(await value.arrayBuffer()));
        }
        done(null, out);
      })
      .catch(() => done(CitizenErrors.badField.with('The multipart body could not be read'), undefined));
  });
}

export function langOf(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined) ?? {};
  const asked = q.locale ?? q.lang;
  if (asked) return pickLang(String(asked).slice(0, 2));
  const header = String(req.headers['accept-language'] ?? '').slice(0, 2);
  return pickLang(header);
}

export const baseUrlOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

export class Limits {
  readonly writesPerIp: RateLimiter;
  readonly writesPerKey: RateLimiter;
  readonly readsPerIp: RateLimiter;

  constructor(c: { rateWritesPerIp: number; rateWritesPerKey: number; rateReadsPerIp: number }) {
    this.writesPerIp = new RateLimiter(c.rateWritesPerIp);
    this.writesPerKey = new RateLimiter(c.rateWritesPerKey);
    this.readsPerIp = new RateLimiter(c.rateReadsPerIp);
  }

  /** Throws 429 (with Retry-After) when the bucket for key is empty. */
  check(limiter: RateLimiter, key: string, reply: { header(n: string, v: string): unknown }) {
    if (limiter.take(key, Date.now())) return;
    reply.header('retry-after', String(Math.max(1, limiter.retryAfterS(key))));
    throw CitizenErrors.tooManyRequests.with('Too many requests from this address or API key; retry later');
  }
}
