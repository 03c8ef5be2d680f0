import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { startInProcessControlPlane } from '../../support/control-plane.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import { deferNewestFirst } from '../../support/cleanup.ts';
import { Redis } from 'ioredis';
import { REQ, startProxy } from '../llm-proxy/harness.ts';

const REQUESTS = 60;

test(`a Postgres outage answers ${REQUESTS} requests 503 unavailable with Retry-After, logs one line for them (no stack trace), and the API serves again once Postgres is back`, async (t) => {
  const defer = deferNewestFirst(t);
  const db = await createTestDatabase('outage');
  defer(() => db.drop());
  const pgUrl = new URL(db.url);
  const proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  defer(() => proxy.close());
  const proxied = new URL(db.url);
  proxied.port = String(proxy.port);
  const h = await startInProcessControlPlane({ DATABASE_URL: proxied.toString() });
  defer(() => h.stop());
  const op = await h.operatorToken();
  const created = await fetch(`${h.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'outage' }),
  });
  const tenant = ((await created.json()) as { tenant: { id: string } }).tenant.id;
  const api = await h.cp.issuer.issue({ typ: 'api', tenant, ttlSeconds: 600 });
  const get = () => fetch(`${h.url}/v1/workflows/01M80Q73YTPPQREJ344M629MT4`, { headers: { authorization: `Bearer ${api}` } });
  assert.equal((await get()).status, 404, 'served while Postgres is up');

  await proxy.cut();
  const logsBefore = h.logs().length;
  const statuses = new Map<string, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const res = await get();
    const body = (await res.json()) as { error: { code: string } };
    const key = `${res.status} ${body.error.code} retry-after=${res.headers.get('retry-after')}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [[`503 unavailable retry-after=5`, REQUESTS]]);
  const during = h.logs().slice(logsBefore).split('\n').filter(Boolean);
  const outageLines = during.filter((l) => l.includes('a dependency is unavailable'));
  assert.equal(outageLines.length, 1, 'one line for the whole burst');
  assert.equal(JSON.parse(outageLines[0]).dependency, 'postgres');
  assert.equal(during.filter((l) => l.includes('"stack"')).length, 0, 'no stack trace per request');
  assert.equal(during.filter((l) => l.includes('unhandled error')).length, 0);

  await proxy.restore();
  const back = await get();
  assert.equal(back.status, 404, 'served again once Postgres is reachable');
});

test('a Redis outage under the LLM proxy answers 503 unavailable with Retry-After in OpenAI’s shape, logged once for the burst', async (t) => {
  // A Redis that is not there: commands fail after their retries instead of waiting forever.
  const redis = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => 100 });
  redis.on('error', () => {});
  t.after(() => redis.disconnect());
  const h = await startProxy({ redis });
  t.after(() => h.close());
  const statuses = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const res = await h.post(REQ);
    const body = (await res.json()) as { error: { code: string; type: string } };
    const key = `${res.status} ${body.error.code} ${body.error.type} retry-after=${res.headers.get('retry-after')}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [['503 unavailable api_error retry-after=5', 10]]);
  assert.equal(h.logs.filter((l) => l.includes('a dependency is unavailable')).length, 1);
  assert.equal(h.logs.filter((l) => l.includes('llm request failed')).length, 0, 'no line per request');
  assert.equal(h.openai.requests.count, 0, 'no provider call without the budget check');
});
