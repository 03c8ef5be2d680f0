// requireAuth on its own, with real tokens from the real issuer and verifier and a real fastify app in
// the project's error shape: what each refusal is, what a handler gets, and the helpers routes use to
// read identity. The HTTP API's integration test (test/integration/auth.test.ts) proves every
// registered route carries it; this one proves what it does, and is what mutation testing runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../../../../control-plane/http/app.ts';
import { authOf, requireAuth, tenantScopeOf } from '../../../../../control-plane/http/middleware/require-auth/index.ts';
import { routedTenantsOnly } from '../../../../../control-plane/http/middleware/require-auth/routed-mode.ts';
import { createLogger } from '../../../../../shared/log.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks, type TokenType } from '../../../../../shared/tokens.ts';

const keys = [await generateSigningJwk('k1')];
const issuer = createTokenIssuer({ keys });
const verifier = createTokenVerifier({ jwks: publicJwks(keys) });
const TENANT = randomUUID();
const OTHER = randomUUID();
const token = (typ: TokenType, tenant = TENANT) => issuer.issue({ typ, tenant: typ === 'operator' ? '*' : tenant, ttlSeconds: 300 });

function app(t: { after(fn: () => unknown): void }): FastifyInstance {
  const a = createHttpApp({ log: createLogger({ service: 'test', level: 'silent' }) });
  t.after(() => a.close());
  return a;
}

async function call(a: FastifyInstance, url: string, authorization?: string, method: 'GET' | 'POST' = 'GET') {
  const res = await a.inject({
    method,
    url,
    headers: authorization === undefined ? {} : { authorization },
    ...(method === 'POST' ? { payload: { x: 1 } } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any>, headers: res.headers };
}

test('a route hands its handler the verified claims of the one token type it accepts; other types are 403, no or bad tokens 401', async (t) => {
  const a = app(t);
  a.get('/api', { onRequest: requireAuth(verifier, 'api') }, async (req) => ({ tenant: authOf(req).tenant, typ: authOf(req).typ }));
  await a.ready();
  const good = await call(a, '/api', `Bearer ${await token('api')}`);
  assert.equal(good.status, 200);
  assert.deepEqual(good.body, { tenant: TENANT, typ: 'api' });

  const wrongType = await call(a, '/api', `Bearer ${await token('agent')}`);
  assert.equal(wrongType.status, 403);
  assert.equal(wrongType.body.error.code, 'token_wrong_type');

  const missing = await call(a, '/api');
  assert.equal(missing.status, 401);
  assert.equal(missing.body.error.code, 'token_missing');
  assert.match(missing.body.error.message, /missing bearer token/, 'the caller is told what is wrong');
  assert.equal((await call(a, '/api', '')).body.error.code, 'token_missing');

  const api = await token('api');
  // Only `Bearer <token>` and nothing around it: the token is never picked out of a longer header.
  for (const header of [`Basic ${api}`, `Token Bearer ${api}`, `Bearer ${api} extra`, `Bearer  ${api}`, `Bearer ${api}\u00e9`, 'Bearer ']) {
    const r = await call(a, '/api', header);
    assert.equal(r.status, 401, header.slice(0, 20));
    assert.equal(r.body.error.code, 'token_invalid', header.slice(0, 20));
  }
  assert.match((await call(a, '/api', `Basic ${api}`)).body.error.message, /not a bearer token/);
  const forged = await call(a, '/api', `Bearer ${api.slice(0, -4)}AAAA`);
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error.code, 'token_invalid');
});

test('where a route names a tenant, a token of another tenant is 403; an operator token (tenant *) may act for any', async (t) => {
  const a = app(t);
  const tenantFrom = (req: { params: unknown }) => (req.params as { id?: string }).id;
  a.get('/tenants/:id', { onRequest: requireAuth(verifier, 'api', { tenantFrom }) }, async (req) => ({ tenant: authOf(req).tenant }));
  a.get('/admin/tenants/:id', { onRequest: requireAuth(verifier, 'operator', { tenantFrom }) }, async () => ({ ok: true }));
  await a.ready();
  assert.equal((await call(a, `/tenants/${TENANT}`, `Bearer ${await token('api')}`)).status, 200);
  const other = await call(a, `/tenants/${OTHER}`, `Bearer ${await token('api')}`);
  assert.equal(other.status, 403);
  assert.equal(other.body.error.code, 'token_wrong_tenant');
  assert.match(other.body.error.message, /another tenant/);
  assert.equal((await call(a, `/admin/tenants/${OTHER}`, `Bearer ${await token('operator')}`)).status, 200);
});

test('tenantScopeOf gives the one tenant a request acts for and refuses the operator wildcard; authOf without requireAuth is a server error', async (t) => {
  const a = app(t);
  a.get('/usage', { onRequest: requireAuth(verifier, 'api') }, async (req) => ({ tenant: tenantScopeOf(req) }));
  a.get('/ops-usage', { onRequest: requireAuth(verifier, 'operator') }, async (req) => ({ tenant: tenantScopeOf(req) }));
  a.get('/unguarded', async (req) => ({ tenant: authOf(req).tenant }));
  await a.ready();
  assert.deepEqual((await call(a, '/usage', `Bearer ${await token('api')}`)).body, { tenant: TENANT });
  const ops = await call(a, '/ops-usage', `Bearer ${await token('operator')}`);
  assert.equal(ops.status, 403);
  assert.equal(ops.body.error.code, 'token_wrong_tenant');
  assert.match(ops.body.error.message, /not scoped to one tenant/);
  const unguarded = await call(a, '/unguarded', `Bearer ${await token('api')}`);
  assert.equal(unguarded.status, 500, 'a handler never reads identity a hook did not verify');
});

test('a refused request whose body has not been read is answered with Connection: close, not drained', async (t) => {
  const a = app(t);
  a.post('/api', { onRequest: requireAuth(verifier, 'api') }, async () => ({ ok: true }));
  await a.ready();
  const refused = await call(a, '/api', undefined, 'POST');
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.connection, 'close');
  const accepted = await call(a, '/api', `Bearer ${await token('api')}`, 'POST');
  assert.equal(accepted.status, 200);
  assert.notEqual(accepted.headers.connection, 'close');
});

test('the LLM proxy accepts an agent token only for a tenant in routed mode; other token types are not asked about', async (t) => {
  const modes = new Map<string, 'direct' | 'routed'>([
    [TENANT, 'routed'],
    [OTHER, 'direct'],
  ]);
  const asked: string[] = [];
  const proxyVerifier = routedTenantsOnly(verifier, async (id) => {
    asked.push(id);
    return modes.get(id);
  });
  const a = app(t);
  a.get('/llm', { onRequest: requireAuth(proxyVerifier, 'agent') }, async (req) => ({ tenant: authOf(req).tenant }));
  a.get('/api', { onRequest: requireAuth(proxyVerifier, 'api') }, async () => ({ ok: true }));
  await a.ready();
  assert.deepEqual((await call(a, '/llm', `Bearer ${await token('agent', TENANT)}`)).body, { tenant: TENANT });
  for (const tenant of [OTHER, randomUUID()]) {
    const r = await call(a, '/llm', `Bearer ${await token('agent', tenant)}`);
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'llm_mode_direct');
    assert.match(r.body.error.message, /direct LLM mode/);
  }
  asked.length = 0;
  assert.equal((await call(a, '/api', `Bearer ${await token('api', OTHER)}`)).status, 200);
  assert.deepEqual(asked, [], 'the mode is a question about agent tokens only');
  const wrong = await call(a, '/llm', `Bearer ${await token('api', TENANT)}`);
  assert.equal(wrong.body.error.code, 'token_wrong_type', 'the inner verifier still decides first');
});
