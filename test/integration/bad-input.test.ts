import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessControlPlane } from '../support/control-plane.ts';

let h: Awaited<ReturnType<typeof startInProcessControlPlane>>;
let op: string;
let api: string;

before(async () => {
  h = await startInProcessControlPlane();
  op = await h.operatorToken();
  const res = await post('/v1/tenants', op, JSON.stringify({ name: 'acme' }));
  const tenant = res.body.tenant.id;
  api = (await post(`/v1/tenants/${tenant}/tokens`, op, JSON.stringify({ typ: 'api' }))).body.token;
});
after(() => h?.stop());

async function post(path: string, token: string, body: string, contentType = 'application/json') {
  const res = await fetch(h.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('malformed JSON gets 400 invalid_json', async () => {
  const res = await post('/v1/workflows', api, '{"template": ');
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'invalid_json');
});

test('an unknown field gets 400 naming the field', async () => {
  const res = await post('/v1/workflows', api, JSON.stringify({ template: 'code-review', repo: 'sample', prompt: 'hi' }));
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'invalid_request');
  assert.match(res.body.error.message, /unknown field\(s\) prompt/);
});

test('a wrong type or value gets 400 naming the field', async () => {
  const res = await post('/v1/workflows', api, JSON.stringify({ template: 42, repo: '../etc' }));
  assert.equal(res.status, 400);
  assert.match(res.body.error.message, /template/);
  assert.match(res.body.error.message, /repo/);
});

test('a body over the limit gets 413 before any handler runs', async () => {
  const res = await post('/v1/tenants', op, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(res.status, 413);
  assert.equal(res.body.error.code, 'body_too_large');
});

test('a body that is not JSON gets 415', async () => {
  const res = await post('/v1/tenants', op, 'name=acme', 'text/plain');
  assert.equal(res.status, 415);
  assert.equal(res.body.error.code, 'unsupported_media_type');
});

test('a malformed workflow id in the path gets 400, an unknown route 404, both as JSON', async () => {
  const bad = await fetch(`${h.url}/v1/workflows/..%2f..%2fetc`, { headers: { authorization: `Bearer ${api}` } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as any).error.code, 'invalid_request');
  const missing = await fetch(`${h.url}/v1/nothing-here`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as any).error.code, 'not_found');
});

test('after all the bad input the service is healthy and nothing half-written exists', async () => {
  const health = await fetch(`${h.url}/readyz`);
  assert.equal(health.status, 200);
  const { rows } = await h.cp.db.query('SELECT count(*)::int AS n FROM workflows');
  assert.equal(rows[0].n, 0);
  const tenants = await h.cp.db.query('SELECT count(*)::int AS n FROM tenants');
  assert.equal(tenants.rows[0].n, 1);
});
