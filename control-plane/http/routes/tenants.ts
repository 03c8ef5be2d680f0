import { z } from 'zod';
import { decodeJwt } from 'jose';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../shared/errors.ts';
import { newUuid } from '../../../shared/ids.ts';
import type { TokenIssuer, TokenVerifier } from '../../../shared/tokens.ts';
import { requireAuth } from '../middleware/require-auth/index.ts';
import { parseInput } from '../validate.ts';
import type { TenantStore } from '../../db/tenants.ts';
import { inTransaction, type Db } from '../../db/pool.ts';
import type { HubAdmin } from '../../hub/leaf-users.ts';

const createTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  llmMode: z.enum(['direct', 'routed']).default('direct'),
});
const tenantParams = z.strictObject({ id: z.string().uuid('tenant id must be a UUID') });
const issueTokenBody = z.strictObject({
  typ: z.enum(['api', 'agent', 'enroll', 'telemetry']),
  sub: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .default(3600),
});

const ENROLL_TTL_SECONDS = 15 * 60;

/** Operator routes: create tenants, mint their tokens, revoke their leaf login, and read what crossed their link. */
export function tenantRoutes(deps: { tenants: TenantStore; issuer: TokenIssuer; verifier: TokenVerifier; db: Db; hub: HubAdmin }) {
  const operator = requireAuth(deps.verifier, 'operator');
  const mintEnroll = async (tenantId: string, ttlSeconds = ENROLL_TTL_SECONDS) => {
    const token = await deps.issuer.issue({ typ: 'enroll', tenant: tenantId, ttlSeconds });
    const { jti, exp } = decodeJwt(token);
    await deps.tenants.recordEnrollToken(String(jti), tenantId, new Date(Number(exp) * 1000));
    return token;
  };
  return async (app: FastifyInstance) => {
    app.post('/v1/tenants', { onRequest: operator }, async (req, reply) => {
      const body = parseInput(createTenantBody, req.body);
      const tenant = await deps.tenants.create({ id: newUuid(), name: body.name, llmMode: body.llmMode });
      const enrollToken = await mintEnroll(tenant.id);
      return reply.status(201).send({ tenant, enrollToken, enrollExpiresInSeconds: ENROLL_TTL_SECONDS });
    });

    app.post('/v1/tenants/:id/tokens', { onRequest: operator }, async (req, reply) => {
      const { id } = parseInput(tenantParams, req.params, 'path');
      const body = parseInput(issueTokenBody, req.body);
      if (!(await deps.tenants.get(id))) throw new NotFoundError('no such tenant');
      const token =
        body.typ === 'enroll'
          ? await mintEnroll(id, Math.min(body.ttlSeconds, ENROLL_TTL_SECONDS))
          : await deps.issuer.issue({ typ: body.typ, tenant: id, sub: body.sub, ttlSeconds: body.ttlSeconds });
      return reply.status(201).send({ token, typ: body.typ });
    });

    // Revokes the tenant's leaf login: the hub's accounts are rewritten without it and reloaded in
    // the same transaction, so the hub refuses the login from then on and a leaf still connected
    // with it reaches nothing (its account no longer exports or imports anything). Re-enrolling
    // with a new enrollment token issues a new login.
    app.delete('/v1/tenants/:id/leaf', { onRequest: operator }, async (req, reply) => {
      const { id } = parseInput(tenantParams, req.params, 'path');
      if (!(await deps.tenants.get(id))) throw new NotFoundError('no such tenant');
      const revoked = await inTransaction(deps.db, async (client) => {
        const changed = await deps.tenants.revokeLeafUser(client, id);
        if (changed) await deps.hub.apply(await deps.tenants.leafUsers(client));
        return changed;
      });
      req.log.info({ tenant: id, revoked }, 'leaf login revoked');
      return reply.status(204).send();
    });

    app.get('/v1/tenants/:id/link', { onRequest: operator }, async (req) => {
      const { id } = parseInput(tenantParams, req.params, 'path');
      if (!(await deps.tenants.get(id))) throw new NotFoundError('no such tenant');
      return linkStats(deps.db, id);
    });
  };
}

/** Counts of what crossed a tenant's link, by direction and kind (metadata about metadata). */
export async function linkStats(db: Db, tenantId: string) {
  const up = await db.query(
    'SELECT kind, count(*)::int AS batches, COALESCE(sum(events), 0)::int AS events FROM up_batches WHERE tenant_id = $1 GROUP BY kind ORDER BY kind',
    [tenantId],
  );
  const down = await db.query('SELECT COALESCE(sum(dispatch_attempts), 0)::int AS n FROM workflows WHERE tenant_id = $1', [tenantId]);
  return {
    up: Object.fromEntries(up.rows.map((r) => [r.kind, { batches: r.batches, events: r.events }])),
    down: { dispatch: down.rows[0].n },
  };
}
