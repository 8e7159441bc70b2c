import { randomUUID } from 'node:crypto';
import { ApiErrors } from '../http/api.ts';
import { AuthErrors } from './errors.ts';
import { hashPassword, newToken, tokenHash, verifyPassword } from './password.ts';
import { ANONYMOUS, ROLES, type Principal, type Role } from './principal.ts';
import type { AuthStore, UserRow } from './store.ts';

export const DEMO_ADMIN = { username: 'admin', password: 'madina-demo-2026' } as const;
const MIN_PASSWORD = 10;
const MAX_FAILURES_PER_MINUTE = 5;
const CACHE_MS = 30_000;

export interface NewUser {
  username: string;
  displayName?: string;
  password: string;
  roles: Role[];
  communes?: string[];
  centreId?: string;
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  communes: string[];
  centreId?: string;
}

const toPublic = (u: UserRow): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
  roles: u.roles,
  communes: u.communes,
  ...(u.centre_id ? { centreId: u.centre_id } : {}),
});

const userPrincipal = (u: UserRow): Principal => ({
  kind: 'user',
  id: u.id,
  name: u.username,
  roles: u.roles,
  communes: u.communes,
  ...(u.centre_id ? { centreId: u.centre_id } : {}),
});

function checkRoles(roles: unknown): Role[] {
  if (!Array.isArray(roles) || !roles.every((r) => ROLES.includes(r))) {
    throw ApiErrors.validation.with(`roles must be a list of: ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

/** Local accounts with sessions, API keys for machines; ready for an external OIDC provider to mint sessions. */
export class AuthService {
  private readonly failures = new Map<string, number[]>();
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly store: AuthStore,
    private readonly opts: { sessionTtlHours?: number; now?: () => Date } = {},
  ) {}

  private now() {
    return this.opts.now?.() ?? new Date();
  }

  async createUser(u: NewUser): Promise<PublicUser> {
    if (!/^[a-z0-9._-]{3,64}$/.test(u.username ?? '')) throw ApiErrors.validation.with('username: 3-64 lowercase letters, digits, ".", "_" or "-"');
    if (typeof u.password !== 'string' || u.password.length < MIN_PASSWORD) {
      throw ApiErrors.validation.with(`password: at least ${MIN_PASSWORD} characters`);
    }
    const row = {
      id: randomUUID(),
      username: u.username,
      display_name: u.displayName || u.username,
      password_hash: await hashPassword(u.password),
      roles: checkRoles(u.roles),
      communes: u.communes ?? [],
      centre_id: u.centreId ?? null,
    };
    if (!(await this.store.insertUser(row))) throw AuthErrors.usernameTaken.with(`User ${u.username} exists`);
    return toPublic({ ...row, disabled: false });
  }

  async listUsers(): Promise<PublicUser[]> {
    return (await this.store.listUsers()).map(toPublic);
  }

  /** Signs in; failed attempts per username and address are limited to 5 a minute. */
  async login(username: string, password: string, from: string): Promise<{ token: string; user: PublicUser; expiresAt: Date }> {
    const key = `${username}\u0000${from}`;
    const t = this.now().getTime();
    const recent = (this.failures.get(key) ?? []).filter((x) => t - x < 60_000);
    if (recent.length >= MAX_FAILURES_PER_MINUTE) throw AuthErrors.tooManyAttempts.with();
    const user = await this.store.userByName(username);
    const ok = user && !user.disabled && (await verifyPassword(password, user.password_hash));
    if (!ok || !user) {
      recent.push(t);
      this.failures.set(key, recent);
      throw AuthErrors.badCredentials.with();
    }
    this.failures.delete(key);
    const token = newToken('ms');
    const expiresAt = new Date(t + (this.opts.sessionTtlHours ?? 12) * 3600_000);
    await this.store.insertSession(tokenHash(token), user.id, expiresAt);
    return { token, user: toPublic(user), expiresAt };
  }

  async logout(token: string): Promise<void> {
    this.cache.delete(token);
    await this.store.deleteSession(tokenHash(token));
  }

  private cached(token: string): Principal | undefined {
    const hit = this.cache.get(token);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) this.cache.delete(token);
    return undefined;
  }

  private remember(token: string, principal: Principal) {
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, { principal, until: Date.now() + CACHE_MS });
  }

  async principalForSession(token: string): Promise<Principal> {
    const hit = this.cached(token);
    if (hit) return hit;
    const user = await this.store.sessionUser(tokenHash(token), this.now());
    if (!user) return ANONYMOUS;
    const p = userPrincipal(user);
    this.remember(token, p);
    return p;
  }

  async principalForApiKey(key: string): Promise<Principal> {
    const hit = this.cached(key);
    if (hit) return hit;
    const row = await this.store.apiKeyByHash(tokenHash(key));
    if (!row) return ANONYMOUS;
    const p: Principal = { kind: 'apiKey', id: row.id, name: row.name, roles: row.roles, communes: row.communes };
    this.remember(key, p);
    return p;
  }

  /** Issues an API key; the key itself is shown once and stored only hashed. */
  async createApiKey(k: { name: string; roles: Role[]; communes?: string[]; key?: string }, by: Principal | null): Promise<{ id: string; key: string }> {
    if (typeof k.name !== 'string' || !k.name.trim()) throw ApiErrors.validation.with('name is required');
    const key = k.key ?? newToken('mk');
    const id = randomUUID();
    await this.store.insertApiKey({ id, keyHash: tokenHash(key), name: k.name, roles: checkRoles(k.roles), communes: k.communes ?? ['*'], createdBy: by?.id ?? null });
    return { id, key };
  }

  listApiKeys() {
    return this.store.listApiKeys();
  }

  async revokeApiKey(id: string): Promise<void> {
    if (!(await this.store.revokeApiKey(id))) throw AuthErrors.unknownApiKey.with();
    this.cache.clear();
  }

  /** The embedded demo's administrator; created once, its credentials printed by `npm start`. */
  async ensureDemoAdmin(): Promise<typeof DEMO_ADMIN> {
    if (!(await this.store.userByName(DEMO_ADMIN.username))) {
      await this.createUser({ username: DEMO_ADMIN.username, displayName: 'Demo administrator', password: DEMO_ADMIN.password, roles: ['administrator'], communes: ['*'] }).catch((err) => {
        if (err?.status !== 409) throw err;
      });
    }
    return DEMO_ADMIN;
  }

  /** Production refuses to run while the demo password still opens an account. */
  async demoCredentialsActive(): Promise<boolean> {
    const admin = await this.store.userByName(DEMO_ADMIN.username);
    return Boolean(admin && !admin.disabled && (await verifyPassword(DEMO_ADMIN.password, admin.password_hash)));
  }
}
