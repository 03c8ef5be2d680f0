import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { silentLogger } from '../../../../shared/log.ts';
import { createLlmGateway } from '../../../../shared/llm/gateway.ts';
import type { StreamEvent } from '../../../../shared/llm/normalized.ts';
import type { ProviderAdapter, ProviderCall } from '../../../../shared/llm/providers/types.ts';
import { ZERO_USAGE } from '../../../../shared/llm/usage.ts';
import type { LlmMeta } from '../../../../shared/llm/core.ts';

/**
 * The chunk path of a stream (adapters that yield normalized events: the SDK transport, Anthropic,
 * continuations), driven through the gateway's stream; each SSE piece is read back as its chunks.
 */

/**
 * An in-memory adapter: yields the given event batches, then ends, throws `then` (a broken
 * stream), or with `then: 'stall'` sends nothing more until the attempt's signal aborts (a
 * provider still generating).
 */
function scripted(name: 'openai' | 'anthropic', batches: StreamEvent[][], then?: Error | 'stall') {
  const calls: ProviderCall[] = [];
  const adapter: ProviderAdapter = {
    name,
    complete: async () => assert.fail('not used'),
    async stream(call) {
      calls.push(call);
      return (async function* () {
        for (const b of batches) yield b;
        if (then === 'stall') await untilAborted(call.signal);
        else if (then) throw then;
      })();
    },
  };
  return { adapter, calls };
}

const usage = { type: 'usage' as const, usage: { ...ZERO_USAGE, inputTokens: 5, outputTokens: 3 } };
const REQ = { model: 'core', stream: true, messages: [{ role: 'user', content: 'q' }] };
const ctx = { tenant: 't', agent: 'a' };

/** The chunks in a piece of SSE text. */
function chunksOf(piece: string | undefined): ChatCompletionChunk[] {
  return (piece ?? '')
    .split('\n\n')
    .filter(Boolean)
    .map((e) => JSON.parse(e.replace(/^data: /, '')) as ChatCompletionChunk);
}

async function collect(gw: ReturnType<typeof createLlmGateway>) {
  const s = await gw.chatSse(REQ, ctx);
  const chunks = [];
  for await (const piece of s) chunks.push(...chunksOf(piece));
  return { chunks, meta: await s.meta };
}

test('a mid-stream break continues on the secondary with the sent text as prefix, without repeating trimmed whitespace', async () => {
  const primary = scripted('openai', [[{ type: 'text', text: 'Hello ' }]], new TypeError('terminated'));
  const secondary = scripted('anthropic', [[{ type: 'text', text: ' world' }], [{ type: 'finish', reason: 'stop' }, usage]]);
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: secondary.adapter }, log: silentLogger() });
  const { chunks, meta } = await collect(gw);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello world');
  assert.deepEqual(secondary.calls[0].request.messages.at(-1), { role: 'assistant', content: 'Hello ' });
  assert.equal(chunks.filter((c) => c.choices[0]?.delta.role).length, 1);
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'stop');
  assert.equal(meta.provider, 'anthropic');
  assert.equal(meta.failedOver, true);
  // The broken attempt is estimated (prompt + text sent) and added to the secondary's real usage.
  assert.ok(meta.usage.outputTokens > 3 && meta.usage.inputTokens > 5);
});

test('a tool call broken half-way never reaches the client; the secondary’s whole call does', async () => {
  const primary = scripted(
    'openai',
    [[{ type: 'tool_call', index: 0, id: 'p1', name: 'f', arguments: '{"pa' }]],
    new TypeError('terminated'),
  );
  const secondary = scripted('anthropic', [
    [{ type: 'tool_call', index: 0, id: 's1', name: 'f', arguments: '{"path":"a"}' }, { type: 'finish', reason: 'tool_calls' }, usage],
  ]);
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: secondary.adapter }, log: silentLogger() });
  const { chunks } = await collect(gw);
  const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  assert.deepEqual(calls, [{ index: 0, id: 's1', type: 'function', function: { name: 'f', arguments: '{"path":"a"}' } }]);
});

test('a stream that ends without a finish reason counts as broken and fails over', async () => {
  const primary = scripted('openai', [[{ type: 'text', text: 'Hi' }]]);
  const secondary = scripted('anthropic', [[{ type: 'finish', reason: 'stop' }, usage]]);
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: secondary.adapter }, log: silentLogger() });
  const { meta } = await collect(gw);
  assert.equal(meta.provider, 'anthropic');
  assert.equal(gw.metrics().midStreamFailovers, 1);
});

test('a request-caused error before the first byte rejects the stream and is not retried', async () => {
  const primary = scripted('openai', [], Object.assign(new Error('bad'), { status: 400 }));
  const secondary = scripted('anthropic', [[{ type: 'finish', reason: 'stop' }]]);
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: secondary.adapter }, log: silentLogger() });
  await assert.rejects(gw.chatSse(REQ, ctx), { code: 'upstream_rejected', status: 400 });
  assert.equal(secondary.calls.length, 0);
});

/** Waits until the signal aborts (already, or later), then throws its reason, as an SDK call does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** The stream's meta, which must be settled by the time the stream was stopped (else the test fails, not hangs). */
async function metaOf(s: { meta: Promise<LlmMeta> }): Promise<LlmMeta> {
  const pending = Symbol('pending');
  const m = await Promise.race([s.meta, new Promise<typeof pending>((r) => setImmediate(r, pending))]);
  assert.notEqual(m, pending, 'meta settled when the stream was stopped');
  return m as LlmMeta;
}

test('a stream the caller aborts after the usage report arrived is billed with that report, marked cancelled, not estimated', async () => {
  const primary = scripted('openai', [[{ type: 'text', text: 'Hello' }], [usage]], 'stall');
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter }, log: silentLogger() });
  const ctrl = new AbortController();
  const s = await gw.chatSse(REQ, { ...ctx, signal: ctrl.signal });
  const it = s[Symbol.asyncIterator]();
  assert.equal(chunksOf((await it.next()).value)[0].choices[0].delta.content, 'Hello');
  const pending = it.next(); // reads the usage report, then waits on the provider
  ctrl.abort();
  await assert.rejects(pending);
  const meta = await metaOf(s);
  assert.equal(meta.cancelled, true);
  assert.equal(meta.estimated, undefined);
  assert.deepEqual(meta.usage, usage.usage);
  assert.equal(meta.provider, 'openai');
});

test('cancel() mid-stream bills the attempt as prompt + text produced, marked estimated, and ends the upstream call', async () => {
  const primary = scripted('openai', [[{ type: 'text', text: 'Hello world' }]], 'stall');
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter }, log: silentLogger() });
  const s = await gw.chatSse(REQ, ctx);
  // Stopped before even the first chunk was taken: the generator must still be reached.
  await s.cancel();
  const meta = await metaOf(s);
  assert.equal(meta.cancelled, true);
  assert.equal(meta.estimated, true);
  assert.ok(meta.usage.inputTokens > 0, 'the prompt as counted before the call');
  assert.equal(meta.usage.outputTokens, 3); // ⌈11 bytes / 4⌉, the mid-stream failover estimator
  assert.equal(primary.calls[0].signal.aborted, true);
});

test('cancel() after a mid-stream failover bills the broken attempt and the one under way', async () => {
  const primary = scripted('openai', [[{ type: 'text', text: 'Hello ' }]], new TypeError('terminated'));
  const secondary = scripted('anthropic', [[{ type: 'text', text: 'world' }]], 'stall');
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: secondary.adapter }, log: silentLogger() });
  // The prompt as billed for one attempt.
  const one = await createLlmGateway({
    providers: {},
    adapters: { openai: scripted('openai', [[{ type: 'text', text: 'x' }]], 'stall').adapter },
    log: silentLogger(),
  }).chatSse(REQ, ctx);
  await one.cancel();
  const prompt = (await metaOf(one)).usage.inputTokens;
  assert.ok(prompt > 0);

  const s = await gw.chatSse(REQ, ctx);
  const it = s[Symbol.asyncIterator]();
  await it.next();
  await it.next(); // 'world', from the secondary
  await s.cancel();
  const meta = await metaOf(s);
  assert.equal(meta.cancelled, true);
  assert.equal(meta.provider, 'anthropic');
  assert.equal(meta.failovers, 1);
  assert.equal(meta.usage.outputTokens, 2 + 2); // ⌈6/4⌉ for the broken attempt + ⌈5/4⌉ for this one
  assert.equal(meta.usage.inputTokens, 2 * prompt, 'the prompt billed once per attempt');
});
