import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { llmCallMeta } from '../../support/usage-event.ts';
import { REQ, startProxy } from './harness.ts';

const MIGRATIONS = ['20261122000100000_llm_usage.sql', '20261122000200000_llm_usage_cancelled.sql'].map(
  (f) => new URL(`../../../control-plane/db/migrations/${f}`, import.meta.url),
);

/** A fresh database with only this feature's migrations applied; dropped afterwards. */
async function withDatabase(fn: (db: pg.Pool) => Promise<void>): Promise<void> {
  const name = `llm_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const db = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: name, max: 2 });
  db.on('error', () => {}); // an idle connection closed by the server must not crash the run
  try {
    for (const m of MIGRATIONS) await db.query(readFileSync(m, 'utf8').split('-- Down Migration')[0]);
    await fn(db);
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

test('usage counters flush to Postgres idempotently and GET /v1/usage reports them per model and day', async () => {
  await withDatabase(async (db) => {
    const h = await startProxy({ db });
    try {
      const client = h.client();
      await client.chat.completions.create(REQ);
      h.openai.setFault({ status: 500 }, { times: 1 });
      await client.chat.completions.create(REQ);
      const stream = await client.chat.completions.create({ ...REQ, stream: true });
      for await (const _ of stream);
      // Stream usage is recorded when the stream finishes, just after the last byte.
      await new Promise((r) => setImmediate(r));

      await h.counters.flush();
      await h.counters.flush(); // a repeated flush must not double-count
      const { rows } = await db.query(
        'SELECT provider, sum(requests)::int AS requests, sum(failovers)::int AS failovers FROM llm_usage GROUP BY provider ORDER BY provider',
      );
      assert.deepEqual(rows, [
        { provider: 'anthropic', requests: 1, failovers: 1 },
        { provider: 'openai', requests: 2, failovers: 0 },
      ]);

      const res = await fetch(`${h.base}/v1/usage`, { headers: { authorization: `Bearer ${h.apiToken}` } });
      assert.equal(res.status, 200);
      const body = await res.json();
      const openai = body.data.find((r: { provider: string }) => r.provider === 'openai');
      assert.equal(openai.requests, 2);
      assert.equal(openai.model, 'gpt-4.1-mini');
      assert.equal(openai.tier, 'core');
      assert.ok(openai.input_tokens > 0 && openai.output_tokens > 0);
      const anthropic = body.data.find((r: { provider: string }) => r.provider === 'anthropic');
      assert.ok(anthropic.cache_creation_tokens > 0, 'Anthropic cache writes are counted apart from input');
    } finally {
      await h.close();
    }
  });
});

test('GET /v1/usage refuses an agent token with 403', async () => {
  const h = await startProxy();
  try {
    const res = await fetch(`${h.base}/v1/usage`, { headers: { authorization: `Bearer ${h.agentToken}` } });
    assert.equal(res.status, 403);
    const body = await res.json();
    assert.equal(body.error.code, 'token_wrong_type');
  } finally {
    await h.close();
  }
});

test('the chat endpoint refuses an api token with 403', async () => {
  const h = await startProxy();
  try {
    const res = await h.post(REQ, h.apiToken);
    assert.equal(res.status, 403);
    assert.equal(h.openai.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('re-sending the same totals (a retried flush) leaves the stored usage unchanged', async () => {
  await withDatabase(async (db) => {
    const { createUsageCounters } = await import('../../../control-plane/llm-proxy/counters.ts');
    const { silentLogger } = await import('../../../shared/log.ts');
    const tenant = '0b7e1c3a-5d2f-4a9b-8c6d-1e2f3a4b5c6d';
    const replicaId = '9a8b7c6d-5e4f-4a3b-9c1d-0e1f2a3b4c5d';
    const meta = llmCallMeta({ usage: { inputTokens: 10, cachedInputTokens: 5, cacheCreationTokens: 0, outputTokens: 7 } });
    // Two counter objects with the same replica id and the same totals stand for a flush whose
    // acknowledgement was lost and which is sent again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const c = createUsageCounters({ db, log: silentLogger(), replicaId });
      c.record(tenant, meta);
      c.record(tenant, meta);
      await c.close();
    }
    const { rows } = await db.query('SELECT requests::int, input_tokens::int, cached_input_tokens::int, output_tokens::int FROM llm_usage');
    assert.deepEqual(rows, [{ requests: 2, input_tokens: 20, cached_input_tokens: 10, output_tokens: 14 }]);
  });
});

for (const transport of ['sdk', 'passthrough'] as const) {
  test(`${transport}: a stream the client abandons after its first chunk is billed (estimate: prompt + text produced) and counted`, async () => {
    await withDatabase(async (db) => {
      const h = await startProxy({ db, transport });
      try {
        // The provider sends the role event and three words, then keeps generating (sends nothing
        // more, the socket stays open): only the client's hang-up ends this stream.
        h.openai.setFault({ stallAfterChunks: 4 }, { times: 1 });
        const ctrl = new AbortController();
        const stream = await h.client().chat.completions.create({ ...REQ, stream: true }, { signal: ctrl.signal });
        let first = '';
        try {
          for await (const c of stream) {
            first = c.choices[0]?.delta?.content ?? '';
            if (first) {
              ctrl.abort();
              break;
            }
          }
        } catch (err) {
          if ((err as Error).name !== 'AbortError' && (err as Error).name !== 'APIUserAbortError') throw err;
        }
        assert.equal(first, 'Fake');
        assert.equal(ctrl.signal.aborted, true);

        // The request is settled just after the stream ends; wait for its summary line.
        for (let i = 0; i < 200 && !h.logs.some((l) => l.includes('llm request finished')); i++)
          await new Promise((r) => setTimeout(r, 10));
        const line = JSON.parse(h.logs.find((l) => l.includes('llm request finished'))!);
        assert.equal(line.cancelled, true);
        assert.equal(line.estimated, true, 'no usage report came: the tokens are our estimate');
        assert.equal(line.provider, 'openai');
        assert.ok(line.inputTokens > 0, 'the prompt the provider read is billed');
        // "Fake" at least (sent to the client), "Fake review ab12cd34:" at most (what the provider sent): ⌈bytes/4⌉.
        assert.ok(line.outputTokens >= 1 && line.outputTokens <= 6, `output tokens ${line.outputTokens}`);
        assert.equal(h.anthropic.requests.count, 0, 'a caller who left is not failed over');

        await h.counters.flush();
        const { rows } = await db.query('SELECT provider, requests::int, input_tokens::int, output_tokens::int FROM llm_usage');
        assert.deepEqual(rows, [{ provider: 'openai', requests: 1, input_tokens: line.inputTokens, output_tokens: line.outputTokens }]);
        const res = await fetch(`${h.base}/v1/usage`, { headers: { authorization: `Bearer ${h.apiToken}` } });
        const body = await res.json();
        assert.equal(body.data.length, 1);
        assert.equal(body.data[0].requests, 1);
        assert.equal(body.data[0].input_tokens, line.inputTokens);
        assert.equal(body.data[0].output_tokens, line.outputTokens);
      } finally {
        await h.close();
      }
    });
  });
}

/** Waits for the proxy's one summary line of a request (written just after it settles). */
async function summaryLine(logs: string[]): Promise<Record<string, any>> {
  for (let i = 0; i < 300 && !logs.some((l) => l.includes('llm request finished')); i++) await new Promise((r) => setTimeout(r, 10));
  const lines = logs.filter((l) => l.includes('llm request finished'));
  assert.equal(lines.length, 1, 'one summary line per request');
  return JSON.parse(lines[0]);
}

for (const [name, stream, transport] of [
  ['a non-streaming request the client hangs up on', false, 'passthrough'],
  ['sdk: a stream the client leaves before its first chunk', true, 'sdk'],
  ['passthrough: a stream the client leaves before its first chunk', true, 'passthrough'],
] as const) {
  test(`${name} is billed for the prompt the provider read, marked cancelled and estimated in the stored counters and GET /v1/usage`, async () => {
    await withDatabase(async (db) => {
      const h = await startProxy({ db, transport });
      try {
        // The provider accepts the request and is still working on it when the client gives up.
        h.openai.setFault({ hang: true }, { times: 1 });
        const ctrl = new AbortController();
        const call = fetch(`${h.url}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.agentToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...REQ, ...(stream ? { stream: true } : {}) }),
          signal: ctrl.signal,
        });
        for (let i = 0; i < 300 && h.openai.requests.count === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(h.openai.requests.count, 1, 'the request reached the provider');
        ctrl.abort();
        await assert.rejects(call);

        const line = await summaryLine(h.logs);
        assert.equal(line.cancelled, true);
        assert.equal(line.estimated, true);
        assert.equal(line.provider, 'openai');
        assert.ok(line.inputTokens > 0, 'the prompt is billed');
        assert.equal(line.outputTokens, 0, 'nothing was produced for the client');
        assert.equal(h.anthropic.requests.count, 0, 'a caller who left is not failed over');
        assert.equal(
          h.logs.filter((l) => l.includes('llm request rejected') || l.includes('llm request failed')).length,
          0,
          'no error line for a caller who left',
        );

        await h.counters.flush();
        const { rows } = await db.query(
          'SELECT requests::int, cancelled_requests::int, estimated_requests::int, input_tokens::int, output_tokens::int FROM llm_usage',
        );
        assert.deepEqual(rows, [
          { requests: 1, cancelled_requests: 1, estimated_requests: 1, input_tokens: line.inputTokens, output_tokens: 0 },
        ]);
        const res = await fetch(`${h.base}/v1/usage`, { headers: { authorization: `Bearer ${h.apiToken}` } });
        const body = await res.json();
        assert.equal(body.data.length, 1);
        assert.equal(body.data[0].route, 'routed');
        assert.equal(body.data[0].cancelled_requests, 1);
        assert.equal(body.data[0].estimated_requests, 1);
        assert.equal(body.data[0].input_tokens, line.inputTokens);
      } finally {
        await h.close();
      }
    });
  });
}

test('GET /v1/usage refuses a malformed or impossible date range with 400 naming the problem, and reads nothing', async () => {
  await withDatabase(async (db) => {
    const h = await startProxy({ db });
    try {
      const get = async (q: string) => {
        const res = await fetch(`${h.base}/v1/usage${q}`, { headers: { authorization: `Bearer ${h.apiToken}` } });
        return { status: res.status, body: await res.json() };
      };
      for (const [q, needle] of [
        ['?from=2026-02-30', 'calendar date'],
        ['?to=22-11-2026', 'YYYY-MM-DD'],
        ['?from=2026-11-22&to=2026-11-01', 'from must not be after to'],
        ['?since=2026-11-01', 'since'],
      ] as const) {
        const r = await get(q);
        assert.equal(r.status, 400, q);
        assert.match(JSON.stringify(r.body.error), new RegExp(needle), q);
      }
      const ok = await get('?from=2024-02-29&to=2024-03-01');
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.data, []);
    } finally {
      await h.close();
    }
  });
});
