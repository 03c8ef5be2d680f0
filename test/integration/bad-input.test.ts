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

/**
 * Values Postgres refuses (or would silently alter) that a schema can let through: NUL characters,
 * lone surrogates, years outside 0001-9999 and impossible dates, integers beyond what a column or
 * the route takes. Every route's valid sample is poisoned field by field, value by value, so a field
 * added later is tried too; the answer must always be a 4xx JSON error, never a 5xx.
 */
const TEXT_POISON = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\udbff\u0000'];
const DATE_POISON = ['0000-01-01', '10000-01-01', '2026-02-30', '-001-01-01', '2026-13-01'];
const NUMBER_POISON = [2 ** 31, 2 ** 53 + 2, 1e308, -1, 0.5, -(2 ** 63)];

type Sample = { route: string; token: () => string; path: Record<string, string>; query?: Record<string, string>; body?: unknown };

function poisonings(value: unknown): unknown[] {
  if (typeof value === 'number') return NUMBER_POISON;
  if (typeof value !== 'string') return [];
  const out: unknown[] = TEXT_POISON.map((p) => value + p);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) out.push(...DATE_POISON);
  return out;
}

/** Every (path, replacement) pair: each leaf of the value replaced by each of its poisonings. */
function* variants(value: unknown, at: string[] = []): Generator<{ at: string[]; value: unknown }> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      for (const inner of variants(v, [...at, k])) yield inner;
      yield { at: [...at, `${k}\u0000`], value: v }; // a poisoned key next to the real one
    }
    return;
  }
  for (const p of poisonings(value)) yield { at, value: p };
}

/** Percent-encodes like encodeURIComponent, but writes a lone surrogate's own (WTF-8) bytes instead of failing. */
function encodeAny(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff)
      out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

function replaced(value: unknown, at: string[], by: unknown): unknown {
  if (at.length === 0) return by;
  const copy = { ...(value as Record<string, unknown>) };
  copy[at[0]] = replaced(copy[at[0]], at.slice(1), by);
  return copy;
}

test('values Postgres refuses get a 4xx on every route, in every field, and nothing is written', async () => {
  const tenant = (await h.cp.db.query('SELECT id FROM tenants LIMIT 1')).rows[0].id as string;
  const enroll = await h.cp.issuer.issue({ typ: 'enroll', tenant, ttlSeconds: 600 });
  const samples: Sample[] = [
    { route: 'POST /v1/tenants', token: () => op, path: {}, body: { name: 'acme', llmMode: 'direct' } },
    { route: 'POST /v1/tenants/:id/tokens', token: () => op, path: { id: tenant }, body: { typ: 'api', sub: 'bot', ttlSeconds: 3600 } },
    { route: 'GET /v1/tenants/:id/link', token: () => op, path: { id: tenant } },
    { route: 'DELETE /v1/tenants/:id/leaf', token: () => op, path: { id: tenant } },
    {
      route: 'POST /v1/enroll',
      token: () => enroll,
      path: {},
      body: { publicKey: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), kid: 'k', alg: 'EdDSA' } },
    },
    { route: 'POST /v1/workflows', token: () => api, path: {}, body: { template: 'code-review', repo: 'sample' } },
    { route: 'GET /v1/workflows/:id', token: () => api, path: { id: '01M80Q73YTPPQREJ344M629MT4' } },
    { route: 'GET /v1/usage', token: () => api, path: {}, query: { from: '2026-01-01', to: '2026-01-31' } },
  ];
  const covered = new Set(samples.map((s) => s.route));
  for (const r of h.cp.app.routeList().filter((x) => x.authenticated && !x.url.startsWith('/v1/chat'))) {
    assert.ok(covered.has(`${r.method} ${r.url}`), `${r.method} ${r.url} has a sample here`);
  }
  const before = await h.cp.db.query('SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM workflows) AS n');
  let tried = 0;
  for (const s of samples) {
    const [method, url] = s.route.split(' ');
    const send = async (path: Record<string, string>, query: Record<string, string> | undefined, body: unknown) => {
      const concrete = url.replace(/:(\w+)/g, (_, k) => encodeAny(path[k]));
      const qs = query ? `?${new URLSearchParams(query)}` : '';
      const res = await fetch(h.url + concrete + qs, {
        method,
        headers: { authorization: `Bearer ${s.token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { code?: string } } | null };
    };
    // A lone surrogate in the path is an invalid %-escape, which fastify answers before routing
    // (FST_ERR_BAD_URL, outside our JSON error shape: issue 11 item 5, owned elsewhere), so path
    // cases are held to 4xx only; body and query cases also to the JSON error shape.
    const cases = [
      ...[...variants(s.body)].map((v) => ({
        json: true,
        label: JSON.stringify(v),
        run: () => send(s.path, s.query, replaced(s.body, v.at, v.value)),
      })),
      ...[...variants(s.query)].map((v) => ({
        json: true,
        label: JSON.stringify(v),
        run: () => send(s.path, replaced(s.query, v.at, v.value) as Record<string, string>, s.body),
      })),
      ...[...variants(s.path)]
        .filter((v) => typeof v.value === 'string' && v.at.length === 1 && !v.at[0].includes('\u0000'))
        .map((v) => ({
          json: false,
          label: JSON.stringify(v),
          run: () => send(replaced(s.path, v.at, v.value) as Record<string, string>, s.query, s.body),
        })),
    ];
    for (const c of cases) {
      const res = await c.run();
      tried += 1;
      assert.ok(res.status >= 400 && res.status < 500, `${s.route} ${c.label}: got ${res.status} ${JSON.stringify(res.body)}`);
      if (c.json) assert.equal(typeof res.body?.error?.code, 'string', `${s.route}: a JSON error, got ${JSON.stringify(res.body)}`);
    }
  }
  assert.ok(tried > 100, `${tried} poisoned requests`);
  const after = await h.cp.db.query('SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM workflows) AS n');
  assert.equal(after.rows[0].n, before.rows[0].n, 'no poisoned request wrote anything');
});

test('a body that is not valid UTF-8 is refused with 400, not stored as replacement characters', async () => {
  const res = await fetch(`${h.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    body: Buffer.concat([Buffer.from('{"name":"ac'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('me"}')]),
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_utf8');
});
