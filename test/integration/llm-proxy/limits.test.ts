import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { generateSigningJwk } from '../../../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../../../scripts/fakes/index.ts';
import { REQ, startProxy } from './harness.ts';

async function withRedis<T>(fn: (redis: Redis, prefix: string) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `test:llm:${randomUUID()}`;
  try {
    return await fn(redis, prefix);
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

test('the requests-per-minute limit holds across two proxy replicas sharing Redis, with a 429 in OpenAI shape', async () => {
  await withRedis(async (redis, prefix) => {
    const fakes = { openai: await startFakeOpenAI(), anthropic: await startFakeAnthropic() };
    const keys = [await generateSigningJwk()];
    const tenant = randomUUID();
    const a = await startProxy({ fakes, redis, keyPrefix: prefix, rpm: 3, keys, tenant });
    const b = await startProxy({ fakes, redis, keyPrefix: prefix, rpm: 3, keys, tenant });
    try {
      assert.equal((await a.post(REQ)).status, 200);
      assert.equal((await b.post(REQ)).status, 200);
      assert.equal((await a.post(REQ)).status, 200);
      const over = await b.post(REQ);
      assert.equal(over.status, 429);
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      const body = await over.json();
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.code, 'rate_limit_exceeded');
      assert.equal(body.error.type, 'rate_limit_error');
      assert.equal(fakes.openai.requests.count, 3);
    } finally {
      await a.close();
      await b.close();
      await fakes.openai.close();
      await fakes.anthropic.close();
    }
  });
});

test('the tokens-per-minute limit refuses a tenant whose usage used up the minute', async () => {
  await withRedis(async (redis, prefix) => {
    const h = await startProxy({ redis, keyPrefix: prefix, tpm: 200 });
    try {
      assert.equal((await h.post(REQ)).status, 200);
      // Settlement (real usage) happens right after the response; give it a moment to land.
      let status = 200;
      for (let i = 0; i < 20 && status === 200; i++) {
        status = (await h.post(REQ)).status;
      }
      assert.equal(status, 429);
    } finally {
      await h.close();
    }
  });
});

test('a tenant over its monthly token budget is refused before any provider call', async () => {
  await withRedis(async (redis, prefix) => {
    const h = await startProxy({ redis, keyPrefix: prefix, monthlyTokens: 50 });
    try {
      assert.equal((await h.post(REQ)).status, 200);
      let res = await h.post(REQ);
      for (let i = 0; i < 20 && res.status === 200; i++) res = await h.post(REQ);
      assert.equal(res.status, 429);
      const body = await res.json();
      assert.equal(body.error.code, 'insufficient_quota');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      const calls = h.openai.requests.count;
      assert.equal((await h.post(REQ)).status, 429);
      assert.equal(h.openai.requests.count, calls);
    } finally {
      await h.close();
    }
  });
});
