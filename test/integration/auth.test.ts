import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, importJWK, type JWK } from 'jose';
import {
  createTokenIssuer,
  generateSigningJwk,
  MAX_TOKEN_LIFETIME_SECONDS,
  TOKEN_AUDIENCE,
  TOKEN_HEADER_TYP,
  TOKEN_ISSUER,
  TOKEN_TYPES,
  type TokenType,
} from '../../shared/tokens.ts';
import { startInProcessControlPlane } from '../support/control-plane.ts';

/**
 * Every authenticated route and the one token type it accepts. The first test fails when a route
 * exists that is not listed here, so a new route cannot ship without its auth being tested.
 */
const EXPECTED: Record<string, TokenType> = {
  'POST /v1/tenants': 'operator',
  'POST /v1/tenants/:id/tokens': 'operator',
  'GET /v1/tenants/:id/link': 'operator',
  'DELETE /v1/tenants/:id/leaf': 'operator',
  'POST /v1/enroll': 'enroll',
  'POST /v1/workflows': 'api',
  'GET /v1/workflows/:id': 'api',
  'POST /v1/chat/completions': 'agent',
  'GET /v1/usage': 'api',
};
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /.well-known/jwks.json']);

let h: Awaited<ReturnType<typeof startInProcessControlPlane>>;
let tenantA: string;
let tenantB: string;
let signingKey: JWK;
const tokens: Record<string, Record<TokenType, string>> = {};

const concrete = (url: string, tenant: string) => url.replace(':id', url.startsWith('/v1/tenants') ? tenant : '01M80Q73YTPPQREJ344M629MT4');

async function call(route: string, tenant: string, token?: string) {
  const [method, url] = route.split(' ');
  const res = await fetch(h.url + concrete(url, tenant), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as { error?: { code: string } } };
}

before(async () => {
  // A provider key enables the LLM proxy routes; nothing here reaches a provider.
  signingKey = await generateSigningJwk();
  h = await startInProcessControlPlane({
    OPENAI_API_KEY: 'unused-in-this-test',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([signingKey]),
  });
  const op = await h.operatorToken();
  for (const name of ['a', 'b']) {
    const res = await fetch(`${h.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const id = ((await res.json()) as { tenant: { id: string } }).tenant.id;
    if (name === 'a') tenantA = id;
    else tenantB = id;
  }
  for (const t of [tenantA, tenantB]) {
    tokens[t] = {} as Record<TokenType, string>;
    for (const typ of TOKEN_TYPES) {
      tokens[t][typ] = await h.cp.issuer.issue({ typ, tenant: typ === 'operator' ? '*' : t, ttlSeconds: 300 });
    }
  }
});
after(() => h?.stop());

test('every registered route is either public or listed with the one token type it accepts', () => {
  const registered = h.cp.app.routeList().map((r) => ({ key: `${r.method} ${r.url}`, authenticated: r.authenticated }));
  for (const key of Object.keys(EXPECTED))
    assert.ok(
      registered.some((r) => r.key === key),
      `${key} is registered`,
    );
  for (const r of registered) {
    if (PUBLIC.has(r.key)) {
      assert.equal(r.authenticated, false, `${r.key} is public`);
      continue;
    }
    assert.ok(r.key in EXPECTED, `route ${r.key} has no entry in the auth table`);
    assert.ok(r.authenticated, `route ${r.key} has no requireAuth onRequest hook`);
  }
});

test('a request without a token, or with a malformed one, gets 401 on every authenticated route', async () => {
  for (const route of registeredAuthRoutes()) {
    assert.equal((await call(route, tenantA)).status, 401, `${route} without token`);
    assert.equal((await call(route, tenantA, 'not-a-jwt')).status, 401, `${route} with garbage`);
  }
});

test('a token signed by a key the control plane does not know gets 401 on every route', async () => {
  const foreign = createTokenIssuer({ keys: [await generateSigningJwk()] });
  for (const route of registeredAuthRoutes()) {
    const typ = EXPECTED[route];
    const token = await foreign.issue({ typ, tenant: typ === 'operator' ? '*' : tenantA, ttlSeconds: 300 });
    const res = await call(route, tenantA, token);
    assert.equal(res.status, 401, route);
    assert.equal(res.body.error?.code, 'token_invalid');
  }
});

test('an expired token of the right type gets 401 token_expired', async () => {
  const expired = await h.cp.issuer.issue({ typ: 'api', tenant: tenantA, ttlSeconds: -10 });
  const res = await call('POST /v1/workflows', tenantA, expired);
  assert.equal(res.status, 401);
  assert.equal(res.body.error?.code, 'token_expired');
});

test('a valid token of any other type gets 403 token_wrong_type on every route', async () => {
  for (const route of registeredAuthRoutes()) {
    for (const typ of TOKEN_TYPES) {
      if (typ === EXPECTED[route]) continue;
      const res = await call(route, tenantA, tokens[tenantA][typ]);
      assert.equal(res.status, 403, `${route} with ${typ} token`);
      assert.equal(res.body.error?.code, 'token_wrong_type');
    }
  }
});

test('a token for a tenant that does not exist gets 403 on every tenant-scoped route', async () => {
  const ghost = '00000000-0000-4000-8000-000000000000';
  for (const route of registeredAuthRoutes()) {
    const typ = EXPECTED[route];
    if (typ === 'operator') continue;
    const token = await h.cp.issuer.issue({ typ, tenant: ghost, ttlSeconds: 300 });
    const res = await call(route, ghost, token);
    assert.equal(res.status, 403, route);
    assert.equal(res.body.error?.code, 'token_wrong_tenant');
  }
});

test("one tenant's api token cannot see another tenant's workflow (it is simply not found)", async () => {
  const created = await fetch(`${h.url}/v1/workflows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[tenantB].api}`, 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'index-only', repo: 'sample' }),
  });
  assert.equal(created.status, 202);
  const { id } = (await created.json()) as { id: string };
  const own = await fetch(`${h.url}/v1/workflows/${id}`, { headers: { authorization: `Bearer ${tokens[tenantB].api}` } });
  assert.equal(own.status, 200);
  const other = await fetch(`${h.url}/v1/workflows/${id}`, { headers: { authorization: `Bearer ${tokens[tenantA].api}` } });
  assert.equal(other.status, 404);
});

test('a token signed with the real key but without exp, kid or the JOSE typ, or living too long, gets 401 on every route', async () => {
  const key = await importJWK(signingKey, 'EdDSA');
  for (const route of registeredAuthRoutes()) {
    const typ = EXPECTED[route];
    const tenant = typ === 'operator' ? '*' : tenantA;
    const now = Math.floor(Date.now() / 1000);
    const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ typ, tenant, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: tenantA, jti: crypto.randomUUID(), iat: now, ...claims })
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .sign(key);
    const good = { kid: signingKey.kid, typ: TOKEN_HEADER_TYP };
    const control = await call(route, tenantA, await sign(good, { exp: now + 300 }));
    assert.notEqual(control.status, 401, `${route}: the well-formed control passes authentication`);
    for (const [what, token] of [
      ['no exp', await sign(good, {})],
      ['no kid', await sign({ typ: TOKEN_HEADER_TYP }, { exp: now + 300 })],
      ['JOSE typ JWT', await sign({ ...good, typ: 'JWT' }, { exp: now + 300 })],
      ['too long a lifetime', await sign(good, { exp: now + MAX_TOKEN_LIFETIME_SECONDS[typ] + 60 })],
    ] as const) {
      const res = await call(route, tenantA, token);
      assert.equal(res.status, 401, `${route} with ${what}`);
      assert.equal(res.body.error?.code, 'token_invalid', `${route} with ${what}`);
    }
  }
});

function registeredAuthRoutes(): string[] {
  return h.cp.app
    .routeList()
    .filter((r) => r.authenticated)
    .map((r) => `${r.method} ${r.url}`);
}
