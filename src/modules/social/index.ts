/**
 * The one-stop social desk (guichet unique social, "Jisr"): the case engine's first configuration —
 * intake, orientation to the right centre, referrals between centres — plus the centres network on the
 * map and aggregate indicators per commune. Personal data stays in this module's tables (DESIGN rule 2).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db/db.ts';
import { migrationsIn, type Migration } from '../../platform/db/migrator.ts';
import type { Logger } from '../../platform/log.ts';
import { onAccessDenied } from '../../platform/auth/plugin.ts';
import { HubClient } from '../../hub/client/hub-client.ts';
import { inProcessTransport } from '../../hub/client/transports.ts';
import { AuditLog, caseMigrations, CaseEngine, CaseStore, loadIdentityKey } from '../cases/index.ts';
import { INTAKE_FORM_ID, INTAKE_FORMS } from './forms.ts';
import { places } from './places.ts';
import { SOCIAL_POLICY } from './policy.ts';
import { socialRoutes } from './routes.ts';
import { PROGRAM, SocialService } from './service.ts';
import { SocialStore } from './store.ts';
import { CONSENT_PURPOSES } from './vocabulary.ts';

export const socialMigrations = (): Migration[] => [
  ...caseMigrations(),
  ...migrationsIn('social', new URL('./migrations/', import.meta.url)),
];

const INDICATORS_EVERY_MS = 60 * 60_000;
export const ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024;
export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const;

export interface SocialModule {
  service: SocialService;
  /** Settles when the centres are published to the hub (after the server is ready). */
  published(): Promise<void>;
  stop(): Promise<void>;
}

/** Registers /api/social (run the migrations of socialMigrations() first). */
export async function registerSocial(app: FastifyInstance, db: Db, config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<SocialModule> {
  const caseStore = new CaseStore();
  const identityKey = await loadIdentityKey(db, caseStore, config.mode, env.MADINA_IDENTITY_KEY);
  const hub = new HubClient(inProcessTransport(app));
  // The engine asks the service about centres; the service needs the engine: tie the knot here.
  const ref: { social?: SocialService } = {};
  const engine = new CaseEngine(db, caseStore, new AuditLog(caseStore), {
    program: PROGRAM,
    policy: SOCIAL_POLICY,
    formId: INTAKE_FORM_ID,
    forms: INTAKE_FORMS,
    purposes: CONSENT_PURPOSES,
    isPlace: (code) => places().has(code),
    isCentre: (id) => ref.social?.isCentre(id) ?? false,
    identityKey,
    attachmentMaxBytes: ATTACHMENT_MAX_BYTES,
    attachmentTypes: ATTACHMENT_TYPES,
  });
  await engine.installForms();
  const social = (ref.social = new SocialService(db, new SocialStore(), caseStore, engine, hub, log));
  await social.init({ seedDemo: config.mode === 'demo' && config.region.seed !== 'off' });

  let stopped = false;
  // 401 and 403 on the desk's routes are audited (who tried what, when). Listeners are process-wide:
  // only refusals of this server's /api/social scope are ours.
  const scopes = new Set<FastifyInstance>();
  onAccessDenied((req, status) => {
    if (stopped || !scopes.has(req.server)) return;
    engine
      .auditRefusal(req.principal, status, { method: req.method, route: req.routeOptions.url ?? req.url.split('?')[0], ip: req.ip })
      .catch((err) => log.error({ err }, 'social: could not audit a refused request'));
  });

  const openStreams = new Set<FastifyReply>();
  await socialRoutes(app, social, { openStreams, scopes });

  // Hub writes go through the in-process client, so they wait until the server is ready.
  let publishing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const s = social;
  app.addHook('onReady', async () => {
    publishing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        const n = await s.publishCentres();
        if (n) log.info({ centres: n }, 'social: centres published to the hub');
        await s.publishIndicators();
      })
      .catch((err) => log.error({ err }, 'social: publishing to the hub failed'));
    timer = setInterval(() => {
      s.publishIndicators().catch((err) => log.error({ err }, 'social: publishing indicators failed'));
    }, INDICATORS_EVERY_MS);
    timer.unref();
  });
  // Live inbox streams never end by themselves: close them so shutdown is not held open.
  app.addHook('preClose', async () => {
    stopped = true;
    for (const r of openStreams) r.raw.end();
    openStreams.clear();
  });
  const stop = async () => {
    stopped = true;
    if (timer) clearInterval(timer);
    await publishing;
  };
  app.addHook('onClose', stop);
  return { service: social, published: () => publishing, stop };
}
