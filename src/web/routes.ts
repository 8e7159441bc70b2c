import type { FastifyInstance } from 'fastify';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useApiErrors } from '../platform/http/api.ts';
import { BASE_LAYERS, buildBaseLayer, encodeJson, type BaseLayer, type EncodedJson } from './base-layers.ts';
import type { WebConfig } from './config.ts';
import { MapErrors } from './errors.ts';
import type { MapLayerCache } from './map-layers.ts';
import { send } from './static.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_ATTRS = 12;

/** /api/map: base layers from the shipped data, point layers from the hub, the optional operator basemap. */
export async function mapRoutes(app: FastifyInstance, deps: { layers: MapLayerCache; dataDir: string; config: WebConfig }) {
  useApiErrors(app);
  const base = new Map<BaseLayer, EncodedJson>();

  app.get('/config', async () => ({
    basemap: deps.config.basemap ? { kind: deps.config.basemap.kind, url: deps.config.basemap.kind === 'pmtiles' ? '/api/map/basemap.pmtiles' : '/api/map/basemap/{z}/{x}/{y}.pbf' } : null,
    baseLayers: BASE_LAYERS,
  }));

  app.get<{ Params: { layer: string } }>('/base/:layer', async (req, reply) => {
    const name = req.params.layer.replace(/\.geojson$/, '') as BaseLayer;
    if (!BASE_LAYERS.includes(name)) throw MapErrors.unknownBaseLayer.with(`Base layers: ${BASE_LAYERS.join(', ')}`);
    let encoded = base.get(name);
    if (!encoded) {
      const fc = buildBaseLayer(deps.dataDir, name);
      if (!fc) throw MapErrors.baseDataMissing.with(`Missing files in ${deps.dataDir}`);
      encoded = { ...encodeJson(fc, 'application/geo+json'), maxAgeS: 3600 };
      base.set(name, encoded);
    }
    send(req, reply, encoded);
    return reply;
  });

  app.get<{ Params: { type: string }; Querystring: { attrs?: string } }>('/layers/:type', async (req, reply) => {
    const attrs = (req.query.attrs ?? '').split(',').filter(Boolean);
    if (!NAME.test(req.params.type) || attrs.length > MAX_ATTRS || !attrs.every((a) => NAME.test(a))) {
      throw MapErrors.invalidLayerRequest.with(`type must match ${NAME}; at most ${MAX_ATTRS} attrs, comma separated`);
    }
    send(req, reply, await deps.layers.get(req.params.type, attrs));
    return reply;
  });

  const basemap = deps.config.basemap;
  // PMTiles are read by byte ranges (HTTP Range, RFC 9110 §14).
  app.get('/basemap.pmtiles', async (req, reply) => {
    if (basemap?.kind !== 'pmtiles') throw MapErrors.noBasemap.with();
    const size = statSync(basemap.path).size;
    reply.header('accept-ranges', 'bytes').header('content-type', 'application/octet-stream').header('cache-control', 'public, max-age=3600');
    const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (!m) return reply.header('content-length', size).send(createReadStream(basemap.path));
    const start = m[1] ? Number(m[1]) : size - Number(m[2]);
    const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (!(start >= 0 && start <= end && start < size)) {
      reply.header('content-range', `bytes */${size}`);
      throw MapErrors.rangeNotSatisfiable.with(`File size ${size}`);
    }
    reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`).header('content-length', end - start + 1);
    return reply.send(createReadStream(basemap.path, { start, end }));
  });

  app.get<{ Params: { z: string; x: string; y: string } }>('/basemap/:z/:x/:y', async (req, reply) => {
    if (basemap?.kind !== 'tiles') throw MapErrors.noBasemap.with();
    const { z, x } = req.params;
    const y = req.params.y.replace(/\.pbf$|\.mvt$/, '');
    if (![z, x, y].every((n) => /^\d{1,8}$/.test(n))) throw MapErrors.invalidLayerRequest.with('Tile coordinates must be integers');
    const file = [join(basemap.path, z, x, `${y}.pbf`), join(basemap.path, z, x, `${y}.mvt`)].find(existsSync);
    if (!file) return reply.code(204).send();
    const body = readFileSync(file);
    reply.header('content-type', 'application/x-protobuf').header('cache-control', 'public, max-age=3600');
    // Tile folders exported by common tools hold gzipped tiles.
    if (body[0] === 0x1f && body[1] === 0x8b) reply.header('content-encoding', 'gzip');
    return reply.send(body);
  });
}
