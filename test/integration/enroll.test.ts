import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateTenantKey } from '../../shared/signing.ts';
import { startInProcessControlPlane } from '../support/control-plane.ts';

let h: Awaited<ReturnType<typeof startInProcessControlPlane>>;
before(async () => {
  h = await startInProcessControlPlane();
});
after(() => h?.stop());

async function createTenant() {
  const res = await fetch(`${h.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await h.operatorToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'acme' }),
  });
  return (await res.json()) as { tenant: { id: string }; enrollToken: string };
}

async function enroll(token: string, publicKey: unknown) {
  const res = await fetch(`${h.url}/v1/enroll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('enrollment registers only the public key, returns a leaf login once, and the token cannot be used again', async () => {
  const { tenant, enrollToken } = await createTenant();
  const key = await generateTenantKey();
  const first = await enroll(enrollToken, key.publicJwk);
  assert.equal(first.status, 201);
  assert.equal(first.body.tenant, tenant.id);
  assert.equal(first.body.kid, key.kid);
  assert.match(first.body.leaf.url, /^nats-leaf:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(first.body.leaf.password.length >= 32);

  const stored = await h.cp.db.query('SELECT public_jwk FROM tenant_keys WHERE tenant_id = $1', [tenant.id]);
  assert.equal(stored.rows.length, 1);
  assert.equal(stored.rows[0].public_jwk.d, undefined, 'no private key material is stored');
  const leaf = await h.cp.db.query('SELECT password_bcrypt FROM leaf_users WHERE tenant_id = $1', [tenant.id]);
  assert.match(leaf.rows[0].password_bcrypt, /^\$2[aby]\$/, 'the leaf password is kept only as a bcrypt hash');
  assert.doesNotMatch(h.logs(), new RegExp(first.body.leaf.password), 'the leaf password is never logged');

  const again = await enroll(enrollToken, (await generateTenantKey()).publicJwk);
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'enroll_token_used');
  const keys = await h.cp.db.query('SELECT count(*)::int AS n FROM tenant_keys WHERE tenant_id = $1', [tenant.id]);
  assert.equal(keys.rows[0].n, 1, 'the refused attempt registered nothing');
});

test('an enrollment with a key that is not an Ed25519 public JWK is refused and consumes nothing', async () => {
  const { enrollToken } = await createTenant();
  const bad = await enroll(enrollToken, { kty: 'RSA', n: 'x', e: 'AQAB' });
  assert.equal(bad.status, 400);
  const withPrivate = await enroll(enrollToken, { ...(await generateTenantKey()).privateJwk });
  assert.equal(withPrivate.status, 400, 'a private key sent by mistake is refused, not stored');
  const ok = await enroll(enrollToken, (await generateTenantKey()).publicJwk);
  assert.equal(ok.status, 201, 'the token is still usable after refused attempts');
});
