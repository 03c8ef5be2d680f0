import type { JWK } from 'jose';
import type { Db } from './pool.ts';
import type pg from 'pg';
import type { LeafUser } from '../hub/config.ts';

export type Tenant = { id: string; name: string; llmMode: 'direct' | 'routed'; createdAt: string };

export function createTenantStore(db: Db) {
  return {
    async create(t: { id: string; name: string; llmMode: 'direct' | 'routed' }): Promise<Tenant> {
      const { rows } = await db.query(
        'INSERT INTO tenants (id, name, llm_mode) VALUES ($1, $2, $3) RETURNING id, name, llm_mode, created_at',
        [t.id, t.name, t.llmMode],
      );
      return toTenant(rows[0]);
    },
    async get(id: string): Promise<Tenant | undefined> {
      const { rows } = await db.query('SELECT id, name, llm_mode, created_at FROM tenants WHERE id = $1', [id]);
      return rows[0] ? toTenant(rows[0]) : undefined;
    },
    async recordEnrollToken(jti: string, tenantId: string, expiresAt: Date): Promise<void> {
      await db.query('INSERT INTO enroll_tokens (jti, tenant_id, expires_at) VALUES ($1, $2, $3)', [jti, tenantId, expiresAt]);
    },
    /** Whether a one-time token could still be consumed: a cheap read before any costly work. */
    async enrollTokenUsable(jti: string, tenantId: string): Promise<boolean> {
      const { rowCount } = await db.query(
        'SELECT 1 FROM enroll_tokens WHERE jti = $1 AND tenant_id = $2 AND used_at IS NULL AND expires_at > now()',
        [jti, tenantId],
      );
      return rowCount === 1;
    },
    /** Marks the one-time token used; false when unknown or already used (checked inside the caller's transaction). */
    async consumeEnrollToken(client: pg.PoolClient, jti: string, tenantId: string): Promise<boolean> {
      const { rowCount } = await client.query(
        'UPDATE enroll_tokens SET used_at = now() WHERE jti = $1 AND tenant_id = $2 AND used_at IS NULL AND expires_at > now()',
        [jti, tenantId],
      );
      return rowCount === 1;
    },
    async addKey(client: pg.PoolClient, tenantId: string, kid: string, publicJwk: JWK): Promise<void> {
      await client.query('INSERT INTO tenant_keys (kid, tenant_id, public_jwk) VALUES ($1, $2, $3)', [kid, tenantId, publicJwk]);
    },
    async upsertLeafUser(client: pg.PoolClient, u: LeafUser): Promise<void> {
      await client.query(
        `INSERT INTO leaf_users (tenant_id, username, password_bcrypt) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET password_bcrypt = EXCLUDED.password_bcrypt, revoked_at = NULL`,
        [u.tenant, u.username, u.passwordBcrypt],
      );
    },
    /** Revokes a tenant's leaf login; false when it has none that is active. */
    async revokeLeafUser(client: pg.PoolClient, tenantId: string): Promise<boolean> {
      const { rowCount } = await client.query('UPDATE leaf_users SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL', [
        tenantId,
      ]);
      return rowCount === 1;
    },
    /** The leaf logins the hub admits: every enrolled tenant's, except revoked ones. */
    async leafUsers(client?: pg.PoolClient): Promise<LeafUser[]> {
      const { rows } = await (client ?? db).query(
        'SELECT tenant_id, username, password_bcrypt FROM leaf_users WHERE revoked_at IS NULL ORDER BY tenant_id',
      );
      return rows.map((r) => ({ tenant: r.tenant_id, username: r.username, passwordBcrypt: r.password_bcrypt }));
    },
    /** The active key for a kid, with the tenant it was registered for. */
    async keyByKid(kid: string): Promise<{ tenantId: string; publicJwk: JWK } | undefined> {
      const { rows } = await db.query('SELECT tenant_id, public_jwk FROM tenant_keys WHERE kid = $1 AND revoked_at IS NULL', [kid]);
      return rows[0] ? { tenantId: rows[0].tenant_id, publicJwk: rows[0].public_jwk } : undefined;
    },
  };
}
export type TenantStore = ReturnType<typeof createTenantStore>;

function toTenant(r: { id: string; name: string; llm_mode: 'direct' | 'routed'; created_at: Date }): Tenant {
  return { id: r.id, name: r.name, llmMode: r.llm_mode, createdAt: r.created_at.toISOString() };
}
