/**
 * The web app: serves the built React app (web/dist) at / with a fallback to index.html for client
 * routes, and the small map API it reads (/api/map): the shipped base layers and compact point layers.
 */
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { inProcessTransport } from '../hub/client/transports.ts';
import type { Hub } from '../hub/index.ts';
import { ApiErrors, sendProblem } from '../platform/http/api.ts';
import { MapLayerCache } from './map-layers.ts';
import { mapRoutes } from './routes.ts';
import { StaticApp } from './static.ts';
import { webConfig } from './config.ts';

export interface WebOptions {
  /** Built app; default web/dist. */
  distDir?: string;
  /** Shipped open data; default data/morocco. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

export async function registerWeb(app: FastifyInstance, hub: Hub, opts: WebOptions = {}): Promise<void> {
  const distDir = opts.distDir ?? fileURLToPath(new URL('../../web/dist', import.meta.url));
  const dataDir = opts.dataDir ?? fileURLToPath(new URL('../../data/morocco', import.meta.url));
  const config = webConfig(opts.env ?? process.env);
  const layers = new MapLayerCache(inProcessTransport(app));
  hub.entities.onCommitted(layers.onCommitted);
  await app.register(async (scope) => mapRoutes(scope, { layers, dataDir, config }), { prefix: '/api/map' });

  const site = new StaticApp(distDir);
  app.setNotFoundHandler((req, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && !/^\/(api|ngsi-ld|iot|open311|docs)(\/|$)/.test(req.url) && site.serve(req, reply)) return;
    if (req.url === '/' && !site.built) {
      return sendProblem(reply, ApiErrors.notFound.with('The web app is not built: run `npm run build:web`'));
    }
    return sendProblem(reply, ApiErrors.notFound.with(`No route ${req.method} ${req.url}`));
  });
}
