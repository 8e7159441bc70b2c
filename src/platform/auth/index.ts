/**
 * platform/auth: one way in for every API — sessions for people, API keys for machines, roles and
 * communes checked by `requireRole` and `canActOnCommune`. Wiring for the server lives here.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/db.ts';
import { migrationsIn } from '../db/migrator.ts';
import type { Logger } from '../log.ts';
import { authRoutes, registerAuth } from './plugin.ts';
import { AuthService } from './service.ts';
import { AuthStore } from './store.ts';

export const authMigrations = () => migrationsIn('auth', new URL('./migrations/', import.meta.url));

export class DemoCredentialsError extends Error {}

export async function setupAuth(app: FastifyInstance, db: Db, config: Config, log: Logger): Promise<AuthService> {
  const auth = new AuthService(new AuthStore(db));
  if (config.mode === 'production') {
    if (await auth.demoCredentialsActive()) {
      throw new DemoCredentialsError(
        'MADINA_MODE=production refuses to start while the demo administrator password is active: change it or disable the account',
      );
    }
  } else {
    const demo = await auth.ensureDemoAdmin();
    log.info({ username: demo.username, password: demo.password }, 'demo mode: sign in with the demo administrator');
  }
  await registerAuth(app, auth);
  await authRoutes(app, auth, { secureCookies: config.mode === 'production' });
  return auth;
}
