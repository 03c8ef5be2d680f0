import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { silentLogger } from '../../../shared/log.ts';
import { newUuid } from '../../../shared/ids.ts';
import { generateTenantKey } from '../../../shared/signing.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../../../shared/tokens.ts';
import { createDb } from '../../../control-plane/db/pool.ts';
import { runMigrations } from '../../../control-plane/db/migrate.ts';
import { createTenantStore } from '../../../control-plane/db/tenants.ts';
import { createHttpApp } from '../../../control-plane/http/app.ts';
import { enrollRoutes } from '../../../control-plane/http/routes/enroll.ts';
import type { HubAdmin } from '../../../control-plane/hub/leaf-users.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';

test('a used, unknown or expired enrollment token is refused before any leaf password is hashed', async (t) => {
  const scratch = await createTestDatabase('enrollcheap');
  const log = silentLogger();
  await runMigrations({ databaseUrl: scratch.url, log });
  const db = createDb({ databaseUrl: scratch.url });
  const key = await generateSigningJwk();
  const issuer = createTokenIssuer({ keys: [key] });
  const tenants = createTenantStore(db);
  const verifier = createTokenVerifier({ jwks: publicJwks([key]), isTenantActive: async (id) => Boolean(await tenants.get(id)) });
  // The hub admin's password hashing (bcrypt, ~75 ms of CPU) is what a refused request must not reach.
  let hashed = 0;
  const hub: HubAdmin = {
    leafUrl: 'nats-leaf://127.0.0.1:7422',
    async newLeafCredentials(tenant) {
      hashed += 1;
      return { username: `leaf-${tenant}`, password: 'p', passwordBcrypt: '$2a$04$x' };
    },
    async apply() {},
  };
  const app = createHttpApp({ log });
  await app.register(enrollRoutes({ db, tenants, verifier, hub }));
  t.after(async () => {
    await app.close();
    await db.end();
    await scratch.drop();
  });

  const tenant = (await tenants.create({ id: newUuid(), name: 'acme', llmMode: 'direct' })).id;
  const mint = async (record: 'yes' | 'no' | 'expired') => {
    const token = await issuer.issue({ typ: 'enroll', tenant, ttlSeconds: 600 });
    const { jti } = decodeJwt(token);
    if (record !== 'no') await tenants.recordEnrollToken(String(jti), tenant, new Date(Date.now() + (record === 'yes' ? 600_000 : -1000)));
    return token;
  };
  const enroll = async (token: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/enroll',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { publicKey: (await generateTenantKey()).publicJwk },
    });

  const token = await mint('yes');
  assert.equal((await enroll(token)).statusCode, 201, 'the first use enrolls');
  assert.equal(hashed, 1);
  for (const [what, tok] of [
    ['used', token],
    ['unknown', await mint('no')],
    ['expired', await mint('expired')],
  ] as const) {
    const res = await enroll(tok);
    assert.equal(res.statusCode, 409, what);
    assert.equal(res.json().error.code, 'enroll_token_used', what);
  }
  assert.equal(hashed, 1, 'no refused request reached the password hashing');
});
