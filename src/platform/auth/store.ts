import type { Queryable } from '../db/db.ts';
import type { Role } from './principal.ts';

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: Role[];
  communes: string[];
  centre_id: string | null;
  disabled: boolean;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  roles: Role[];
  communes: string[];
  created_by: string | null;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

/** The only SQL of platform/auth. */
export class AuthStore {
  constructor(private readonly db: Queryable) {}

  async userByName(username: string): Promise<UserRow | undefined> {
    return (await this.db.query<UserRow>('SELECT * FROM auth_users WHERE username = $1', [username])).rows[0];
  }

  async userById(id: string): Promise<UserRow | undefined> {
    return (await this.db.query<UserRow>('SELECT * FROM auth_users WHERE id = $1', [id])).rows[0];
  }

  async listUsers(): Promise<UserRow[]> {
    return (await this.db.query<UserRow>('SELECT * FROM auth_users ORDER BY username')).rows;
  }

  /** Returns false when the username is taken. */
  async insertUser(u: Omit<UserRow, 'disabled'>): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO auth_users (id, username, display_name, password_hash, roles, communes, centre_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING`,
      [u.id, u.username, u.display_name, u.password_hash, u.roles, u.communes, u.centre_id],
    );
    return r.rowCount > 0;
  }

  async setPassword(userId: string, hash: string): Promise<void> {
    await this.db.query('UPDATE auth_users SET password_hash = $2 WHERE id = $1', [userId, hash]);
  }

  async insertSession(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO auth_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
  }

  async sessionUser(tokenHash: string, now: Date): Promise<UserRow | undefined> {
    const r = await this.db.query<UserRow>(
      `SELECT u.* FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`,
      [tokenHash, now],
    );
    return r.rows[0];
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.query('DELETE FROM auth_sessions WHERE token_hash = $1', [tokenHash]);
  }

  async deleteExpiredSessions(now: Date): Promise<number> {
    return (await this.db.query('DELETE FROM auth_sessions WHERE expires_at <= $1', [now])).rowCount;
  }

  async insertApiKey(k: { id: string; keyHash: string; name: string; roles: Role[]; communes: string[]; createdBy: string | null }): Promise<void> {
    await this.db.query(
      'INSERT INTO auth_api_keys (id, key_hash, name, roles, communes, created_by) VALUES ($1, $2, $3, $4, $5, $6)',
      [k.id, k.keyHash, k.name, k.roles, k.communes, k.createdBy],
    );
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const r = await this.db.query<ApiKeyRow>('SELECT * FROM auth_api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash]);
    return r.rows[0];
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    return (await this.db.query<ApiKeyRow>('SELECT id, name, roles, communes, created_by, created_at, revoked_at FROM auth_api_keys ORDER BY created_at')).rows;
  }

  async revokeApiKey(id: string): Promise<boolean> {
    return (await this.db.query('UPDATE auth_api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id])).rowCount > 0;
  }
}
