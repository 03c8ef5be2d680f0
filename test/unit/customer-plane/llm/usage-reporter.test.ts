import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageCounterSchema, type UsageCounter } from '../../../../shared/boundary.ts';
import { createLlmGateway, LlmCallerGoneError } from '../../../../shared/llm/index.ts';
import type { ProviderAdapter, ProviderCall } from '../../../../shared/llm/index.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { withUsageReporting } from '../../../../customer-plane/llm/usage-reporter.ts';

const REQ = { model: 'core' as const, messages: [{ role: 'user' as const, content: 'Please review the diff.' }] };
const DAY = Date.UTC(2026, 10, 22, 12);

function adapter(complete: (call: ProviderCall) => Promise<any>): ProviderAdapter {
  return { name: 'openai', complete, stream: async () => assert.fail('not used') };
}

function reporter(a: ProviderAdapter) {
  const sent: UsageCounter[] = [];
  const gateway = createLlmGateway({ providers: {}, adapters: { openai: a }, log: silentLogger() });
  return {
    llm: withUsageReporting(
      gateway,
      (e) => sent.push(usageCounterSchema.parse(e)),
      () => DAY,
    ),
    sent,
  };
}

test('direct mode reports each answered call as one usage counter with the provider’s token counts', async () => {
  const usage = { inputTokens: 12, cachedInputTokens: 30, cacheCreationTokens: 0, outputTokens: 7 };
  const { llm, sent } = reporter(adapter(async () => ({ text: 'ok', refusal: null, toolCalls: [], finishReason: 'stop', usage })));
  await llm.chat(REQ, { tenant: 't', agent: 'reviewer' });
  assert.equal(sent.length, 1);
  const { eventId, ...rest } = sent[0];
  assert.match(eventId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.deepEqual(rest, { day: '2026-11-22', provider: 'openai', tier: 'core', requests: 1, ...usage, failovers: 0 });
});

test('direct mode reports a call the runner abandoned: the prompt the provider read, marked cancelled and estimated', async () => {
  const { promise: reached, resolve } = Promise.withResolvers<void>();
  const hang = adapter(
    (call) =>
      new Promise((_, reject) => {
        resolve();
        call.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      }),
  );
  const { llm, sent } = reporter(hang);
  const ctrl = new AbortController();
  const call = llm.chat(REQ, { tenant: 't', agent: 'reviewer', signal: ctrl.signal });
  await reached;
  ctrl.abort();
  await assert.rejects(call, LlmCallerGoneError);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].requests, 1);
  assert.equal(sent[0].cancelledRequests, 1);
  assert.equal(sent[0].estimatedRequests, 1);
  assert.ok(sent[0].inputTokens > 0);
  assert.equal(sent[0].outputTokens, 0);
});

test('a call the provider refused is not reported: nothing was billed', async () => {
  const { llm, sent } = reporter(adapter(async () => Promise.reject(Object.assign(new Error('bad'), { status: 400 }))));
  await assert.rejects(llm.chat(REQ, { tenant: 't', agent: 'reviewer' }));
  assert.equal(sent.length, 0);
});
