import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, importJWK } from 'jose';
import {
  createTokenIssuer,
  createTokenVerifier,
  generateSigningJwk,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  publicJwks,
  TOKEN_AUDIENCE,
  TOKEN_HEADER_TYP,
  TOKEN_ISSUER,
  TOKEN_TYPES,
} from '../../../shared/tokens.ts';

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

// Hand-signed tokens with the control plane's own key: each lacks or bends one rule, and the
// well-formed control shows the rest of the token would have passed.
const TENANT = '11111111-1111-4111-8111-111111111111';
const NOW = Date.parse('2026-06-01T00:00:00Z');

async function handSigned(change: {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  omit?: string[];
}): Promise<{ token: string; verifier: ReturnType<typeof createTokenVerifier> }> {
  const key = await generateSigningJwk('k1');
  const nowS = Math.floor(NOW / 1000);
  const claims: Record<string, unknown> = {
    typ: 'api',
    tenant: TENANT,
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: TENANT,
    jti: '5b0c9a2e-1111-4111-8111-111111111111',
    iat: nowS,
    exp: nowS + 600,
    ...change.claims,
  };
  for (const k of change.omit ?? []) delete claims[k];
  const header: Record<string, unknown> = { alg: 'EdDSA', kid: 'k1', typ: TOKEN_HEADER_TYP, ...change.header };
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
  const token = await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(await importJWK(key, 'EdDSA'));
  return { token, verifier: createTokenVerifier({ jwks: publicJwks([key]), clock: () => NOW }) };
}

test('a hand-signed token that follows every rule verifies (the control for the cases below)', async () => {
  const { token, verifier } = await handSigned({});
  assert.equal((await verifier.verify(token, 'api')).tenant, TENANT);
});

test('a signed token without exp is refused, so no token lives forever', async () => {
  const { token, verifier } = await handSigned({ omit: ['exp'] });
  await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid', status: 401 });
});

test('a signed token that lives longer than its type allows is refused, for every type', async () => {
  for (const typ of TOKEN_TYPES) {
    const nowS = Math.floor(NOW / 1000);
    const tenant = typ === 'operator' ? '*' : TENANT;
    const within = await handSigned({ claims: { typ, tenant, exp: nowS + MAX_TOKEN_LIFETIME_SECONDS[typ] } });
    assert.equal((await within.verifier.verify(within.token, typ)).typ, typ, `${typ} at its maximum lifetime`);
    const over = await handSigned({ claims: { typ, tenant, exp: nowS + MAX_TOKEN_LIFETIME_SECONDS[typ] + 1 } });
    await assert.rejects(over.verifier.verify(over.token, typ), { code: 'token_invalid' }, `${typ} over its maximum lifetime`);
  }
});

test('a token issued in the future beyond the clock skew is refused; within the skew it passes', async () => {
  const nowS = Math.floor(NOW / 1000);
  const skewed = await handSigned({ claims: { iat: nowS + MAX_CLOCK_SKEW_SECONDS, exp: nowS + 600 } });
  assert.ok(await skewed.verifier.verify(skewed.token, 'api'));
  const future = await handSigned({ claims: { iat: nowS + MAX_CLOCK_SKEW_SECONDS + 5, exp: nowS + 600 } });
  await assert.rejects(future.verifier.verify(future.token, 'api'), { code: 'token_invalid' });
});

test('a token without iat, jti or sub is refused', async () => {
  for (const claim of ['iat', 'jti', 'sub']) {
    const { token, verifier } = await handSigned({ omit: [claim] });
    await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid' }, `without ${claim}`);
  }
});

test('a token whose JOSE header lacks kid, or has another or no typ, is refused', async () => {
  for (const header of [{ kid: undefined }, { typ: 'JWT' }, { typ: undefined }, { typ: 'at+jwt' }]) {
    const { token, verifier } = await handSigned({ header });
    await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid' }, JSON.stringify(header));
  }
});

test('the issuer refuses to mint a token longer-lived than its type allows', async () => {
  const issuer = createTokenIssuer({ keys: [await generateSigningJwk()] });
  await assert.rejects(issuer.issue({ typ: 'enroll', tenant: TENANT, ttlSeconds: MAX_TOKEN_LIFETIME_SECONDS.enroll + 1 }), RangeError);
});

test('the limits are what SECURITY.md states: operator 24 h, enroll 15 min, api/agent/telemetry 90 days, 60 s of skew, issuer and audience fixed', () => {
  assert.deepEqual(MAX_TOKEN_LIFETIME_SECONDS, { operator: 86_400, enroll: 900, api: 7_776_000, agent: 7_776_000, telemetry: 7_776_000 });
  assert.equal(MAX_CLOCK_SKEW_SECONDS, 60);
  assert.equal(TOKEN_HEADER_TYP, 'agentplane+jwt');
  assert.equal(TOKEN_ISSUER, 'agentplane-control-plane');
  assert.equal(TOKEN_AUDIENCE, 'agentplane');
});

test('the issuer mints up to its type’s maximum lifetime, and only with a private key that has a kid', async () => {
  const issuer = createTokenIssuer({ keys: [await generateSigningJwk()] });
  await issuer.issue({ typ: 'enroll', tenant: TENANT, ttlSeconds: 900 });
  await assert.rejects(issuer.issue({ typ: 'operator', tenant: '*', ttlSeconds: 86_401 }), /operator tokens live at most 86400 s/);
  const key = await generateSigningJwk();
  const { d: _d, ...publicOnly } = key;
  const { kid: _kid, ...withoutKid } = key;
  for (const keys of [[], [publicOnly], [withoutKid]]) {
    assert.throws(() => createTokenIssuer({ keys }), /private JWK with a kid/, JSON.stringify(Object.keys(keys[0] ?? {})));
  }
});

test('ES256 (P-256) signing keys mint tokens that verify', async () => {
  const { generateKeyPair, exportJWK } = await import('jose');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const key = { ...(await exportJWK(privateKey)), kid: 'p256', alg: 'ES256' };
  const token = await createTokenIssuer({ keys: [key] }).issue({ typ: 'api', tenant: TENANT, ttlSeconds: 60 });
  assert.equal((await createTokenVerifier({ jwks: publicJwks([key]) }).verify(token, 'api')).tenant, TENANT);
});

test('a token with an unknown or non-string typ claim is invalid (401), not merely of another type', async () => {
  for (const typ of ['admin', 5, '']) {
    const { token, verifier } = await handSigned({ claims: { typ } });
    await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid', status: 401 }, String(typ));
  }
});

test('jti must be a string of 1 to 64 characters', async () => {
  const ok = await handSigned({ claims: { jti: 'j'.repeat(64) } });
  assert.ok(await ok.verifier.verify(ok.token, 'api'));
  for (const jti of ['', 'j'.repeat(65), 7]) {
    const { token, verifier } = await handSigned({ claims: { jti } });
    await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid', status: 401 }, JSON.stringify(jti));
  }
});

test('a token whose tenant or subject is missing or not a string is invalid', async () => {
  for (const change of [{ omit: ['tenant'] }, { claims: { tenant: 5 } }, { claims: { sub: 5 } }]) {
    const { token, verifier } = await handSigned(change);
    await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid', status: 401 }, JSON.stringify(change));
  }
});

test('a JOSE header with an empty kid is refused', async () => {
  const { token, verifier } = await handSigned({ header: { kid: '' } });
  await assert.rejects(verifier.verify(token, 'api'), { code: 'token_invalid', status: 401 });
});

test('a tenant that no longer exists: its tokens get 403 token_wrong_tenant; operator tokens are not tied to a tenant', async () => {
  const key = await generateSigningJwk();
  const issuer = createTokenIssuer({ keys: [key] });
  const asked: string[] = [];
  const verifier = createTokenVerifier({
    jwks: publicJwks([key]),
    isTenantActive: async (t) => (asked.push(t), t === TENANT),
  });
  assert.ok(await verifier.verify(await issuer.issue({ typ: 'api', tenant: TENANT, ttlSeconds: 60 }), 'api'));
  const gone = '22222222-2222-4222-8222-222222222222';
  await assert.rejects(verifier.verify(await issuer.issue({ typ: 'api', tenant: gone, ttlSeconds: 60 }), 'api'), {
    code: 'token_wrong_tenant',
    status: 403,
  });
  asked.length = 0;
  assert.ok(await verifier.verify(await issuer.issue({ typ: 'operator', tenant: '*', ttlSeconds: 60 }), 'operator'));
  assert.deepEqual(asked, [], 'no tenant lookup for an operator token');
});

test('each refusal tells the client why, in the message of its 401 or 403', async () => {
  const nowS = Math.floor(NOW / 1000);
  const cases: Array<[Parameters<typeof handSigned>[0], RegExp, string?]> = [
    [{ header: { typ: 'JWT' } }, /^bearer token is not an agentplane token \(JOSE typ\)$/],
    [{ header: { kid: '' } }, /^bearer token names no signing key \(kid\)$/],
    [{ omit: ['exp'] }, /^bearer token is not valid$/],
    [{ claims: { typ: 'admin' } }, /^token has no known typ claim$/],
    [{ claims: { iat: nowS + 3600, exp: nowS + 4000 } }, /^token was issued in the future \(iat\)$/],
    [{ claims: { exp: nowS + 91 * 24 * 3600 } }, /^token lives longer than a api token may$/],
    [{ claims: { jti: '' } }, /^token has no usable jti$/],
    [{ claims: { typ: 'agent' } }, /^this route accepts api tokens, not agent$/],
    [{ omit: ['tenant'] }, /^token lacks tenant or subject$/],
    [{ claims: { tenant: '*' } }, /^token tenant claim does not fit its type$/],
  ];
  for (const [change, message] of cases) {
    const { token, verifier } = await handSigned(change);
    await assert.rejects(verifier.verify(token, 'api'), (err: Error) => message.test(err.message), JSON.stringify(change));
  }
  const { verifier } = await handSigned({});
  for (const garbage of ['not a token', 'a.b.c', '']) {
    await assert.rejects(
      verifier.verify(garbage, 'api'),
      { code: 'token_invalid', status: 401, message: 'bearer token is not valid' },
      garbage,
    );
  }
  const key = await generateSigningJwk();
  const gone = createTokenVerifier({ jwks: publicJwks([key]), isTenantActive: async () => false });
  const token = await createTokenIssuer({ keys: [key] }).issue({ typ: 'api', tenant: TENANT, ttlSeconds: 60 });
  await assert.rejects(gone.verify(token, 'api'), { message: 'token belongs to an unknown tenant' });
});
