import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../../../shared/tokens.ts';

test('a token verifies only for the one typ it was issued with', async () => {
  const key = await generateSigningJwk();
  const issuer = createTokenIssuer({ keys: [key] });
  const verifier = createTokenVerifier({ jwks: publicJwks([key]) });
  const token = await issuer.issue({ typ: 'api', tenant: '11111111-1111-4111-8111-111111111111', ttlSeconds: 60 });
  assert.equal((await verifier.verify(token, 'api')).typ, 'api');
  await assert.rejects(verifier.verify(token, 'agent'), { code: 'token_wrong_type', status: 403 });
});

test('after rotation, tokens signed by the old key still verify until the old key is dropped', async () => {
  const oldKey = await generateSigningJwk('old');
  const newKey = await generateSigningJwk('new');
  const oldToken = await createTokenIssuer({ keys: [oldKey] }).issue({
    typ: 'api',
    tenant: '11111111-1111-4111-8111-111111111111',
    ttlSeconds: 60,
  });
  const rotated = createTokenVerifier({ jwks: publicJwks([newKey, oldKey]) });
  assert.equal((await rotated.verify(oldToken, 'api')).typ, 'api');
  const dropped = createTokenVerifier({ jwks: publicJwks([newKey]) });
  await assert.rejects(dropped.verify(oldToken, 'api'), { code: 'token_invalid', status: 401 });
});

test('expiry is judged by the injected clock', async () => {
  const key = await generateSigningJwk();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const issuer = createTokenIssuer({ keys: [key], clock: () => now });
  const verifier = createTokenVerifier({ jwks: publicJwks([key]), clock: () => now });
  const token = await issuer.issue({ typ: 'enroll', tenant: '11111111-1111-4111-8111-111111111111', ttlSeconds: 60 });
  now += 61_000;
  await assert.rejects(verifier.verify(token, 'enroll'), { code: 'token_expired' });
});

test('the published key set holds no private key material', async () => {
  const jwks = publicJwks([await generateSigningJwk()]);
  assert.equal(jwks.keys[0].d, undefined);
  assert.ok(jwks.keys[0].x);
});

test('a non-operator token claiming every tenant is refused', async () => {
  const key = await generateSigningJwk();
  const token = await createTokenIssuer({ keys: [key] }).issue({ typ: 'api', tenant: '*', ttlSeconds: 60 });
  await assert.rejects(createTokenVerifier({ jwks: publicJwks([key]) }).verify(token, 'api'), { code: 'token_invalid' });
});
