import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.pbf': 'application/x-protobuf',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.webmanifest', '.txt']);

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  /** Vite names built files with a content hash: they never change, so browsers may keep them a year. */
  immutable: boolean;
  mtimeMs: number;
}

/** Serves the built web app (web/dist) from memory, gzipped once, with an index.html fallback for client routes. */
export class StaticApp {
  private readonly cache = new Map<string, Asset | null>();

  constructor(private readonly root: string) {}

  get built(): boolean {
    return existsSync(join(this.root, 'index.html'));
  }

  private load(urlPath: string): Asset | null {
    const hit = this.cache.get(urlPath);
    // index.html changes when the app is rebuilt under a running server; hashed files never do.
    if (hit && (hit.immutable || statMtime(join(this.root, urlPath)) === hit.mtimeMs)) return hit;
    if (hit === null) return null;
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    const file = normalize(join(this.root, rel));
    if (!file.startsWith(this.root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      this.cache.set(urlPath, null);
      return null;
    }
    const body = readFileSync(file);
    const ext = extname(file);
    const asset: Asset = {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      immutable: rel.startsWith('/assets/'),
      mtimeMs: statSync(file).mtimeMs,
    };
    this.cache.set(urlPath, asset);
    return asset;
  }

  /** Answers a GET/HEAD for `path`; false when nothing here matches (the caller sends its 404). */
  serve(req: FastifyRequest, reply: FastifyReply): boolean {
    const path = req.url.split('?')[0] ?? '/';
    let asset = path === '/' ? null : this.load(path);
    if (!asset) {
      // Client-side routes (/map, /modules/...) get the app shell; missing files with an extension do not.
      if (extname(path) !== '' || !(req.headers.accept ?? '*/*').match(/text\/html|\*\/\*/)) return false;
      asset = this.load('/index.html');
      if (!asset) return false;
    }
    send(req, reply, asset);
    return true;
  }
}

function statMtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

export function send(req: FastifyRequest, reply: FastifyReply, asset: { body: Buffer; gzip?: Buffer; type: string; etag: string; immutable?: boolean; maxAgeS?: number }) {
  reply.header('content-type', asset.type);
  reply.header('etag', asset.etag);
  reply.header('vary', 'accept-encoding');
  reply.header('x-content-type-options', 'nosniff');
  reply.header(
    'cache-control',
    asset.immutable ? 'public, max-age=31536000, immutable' : asset.maxAgeS ? `public, max-age=${asset.maxAgeS}` : 'no-cache',
  );
  if (req.headers['if-none-match'] === asset.etag) {
    reply.code(304).send();
    return;
  }
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('content-encoding', 'gzip');
  reply.send(gzip ? asset.gzip : asset.body);
}
