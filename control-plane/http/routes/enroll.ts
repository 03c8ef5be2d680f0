import { z } from 'zod';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { ConflictError } from '../../../shared/errors.ts';
import type { TokenVerifier } from '../../../shared/tokens.ts';
import { requireAuth, authOf } from '../middleware/require-auth/index.ts';
import { parseInput } from '../validate.ts';
import type { TenantStore } from '../../db/tenants.ts';
import { inTransaction, type Db } from '../../db/pool.ts';
import type { HubAdmin } from '../../hub/leaf-users.ts';
import { subjects } from '../../../shared/subjects.ts';

const enrollBody = z.strictObject({
  publicKey: z.strictObject({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'x must be a base64url Ed25519 public key'),
    kid: z.string().optional(),
    alg: z.literal('EdDSA').optional(),
  }),
});

const tokenUsed = () => new ConflictError('enrollment token was already used or is unknown', { code: 'enroll_token_used' });

/**
 * A customer plane enrolls once with its one-time token: it registers the public half of the key it
 * generated (we never see the private half) and receives its leaf login. Using the token and
 * registering the key happen in one transaction, so a second use of the token fails whole.
 */
export function enrollRoutes(deps: { db: Db; tenants: TenantStore; verifier: TokenVerifier; hub: HubAdmin }) {
  return async (app: FastifyInstance) => {
    app.post('/v1/enroll', { onRequest: requireAuth(deps.verifier, 'enroll') }, async (req, reply) => {
      const auth = authOf(req);
      const { publicKey } = parseInput(enrollBody, req.body);
      // Cheap before costly: a used or unknown token is refused before a password is hashed
      // (bcrypt, ~75 ms of CPU). The consume below stays the authority when two uses race.
      if (!(await deps.tenants.enrollTokenUsable(auth.jti, auth.tenant))) throw tokenUsed();
      const jwk: JWK = { kty: publicKey.kty, crv: publicKey.crv, x: publicKey.x };
      const kid = await calculateJwkThumbprint(jwk);
      const creds = await deps.hub.newLeafCredentials(auth.tenant);
      await inTransaction(deps.db, async (client) => {
        if (!(await deps.tenants.consumeEnrollToken(client, auth.jti, auth.tenant))) throw tokenUsed();
        try {
          await deps.tenants.addKey(client, auth.tenant, kid, { ...jwk, kid, alg: 'EdDSA' });
        } catch (err) {
          if ((err as { code?: string }).code === '23505')
            throw new ConflictError('this key is already registered', { code: 'key_exists', cause: err });
          throw err;
        }
        await deps.tenants.upsertLeafUser(client, { tenant: auth.tenant, username: creds.username, passwordBcrypt: creds.passwordBcrypt });
        // Reload inside the transaction: if the hub cannot take the login, nothing is registered.
        await deps.hub.apply(await deps.tenants.leafUsers(client));
      });
      req.log.info({ tenant: auth.tenant, kid }, 'customer plane enrolled');
      return reply.status(201).send({
        tenant: auth.tenant,
        kid,
        leaf: { url: deps.hub.leafUrl, username: creds.username, password: creds.password },
        subjects: { up: subjects.upAll(auth.tenant), down: subjects.downAll(auth.tenant) },
      });
    });
  };
}
