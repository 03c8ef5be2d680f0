import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../../shared/log.ts';
import { createLlmGateway } from '../../../../../shared/llm/gateway.ts';
import type { StreamEvent } from '../../../../../shared/llm/normalized.ts';
import type { OpenAIPassthroughAdapter } from '../../../../../shared/llm/passthrough/openai-http.ts';
import type { ProviderAdapter, ProviderCall } from '../../../../../shared/llm/providers/types.ts';
import { ZERO_USAGE } from '../../../../../shared/llm/usage.ts';

/** A pass-through adapter over scripted upstream text; `pieces` are the socket reads. */
function upstream(pieces: (string | Buffer)[], breakWith?: Error) {
  const calls: ProviderCall[] = [];
  const adapter: OpenAIPassthroughAdapter = {
    name: 'openai',
    complete: async () => assert.fail('not used'),
    stream: async () => assert.fail('the pass-through path must not use the event stream'),
    async openSse(call) {
      calls.push(call);
      return (async function* () {
        for (const p of pieces) yield p;
        if (breakWith) throw breakWith;
      })();
    },
    close: async () => undefined,
  };
  return { adapter, calls };
}

function secondary(events: StreamEvent[][]) {
  const calls: ProviderCall[] = [];
  const adapter: ProviderAdapter = {
    name: 'anthropic',
    complete: async () => assert.fail('not used'),
    async stream(call) {
      calls.push(call);
      return (async function* () {
        yield* events;
      })();
    },
  };
  return { adapter, calls };
}

const ev = (o: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 7, model: 'gpt-4.1-mini', ...o })}\n\n`;
const delta = (d: object, finish: string | null = null) => ev({ choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] });
const USAGE = { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59, prompt_tokens_details: { cached_tokens: 20 } };
const REQ = { model: 'core', stream: true, messages: [{ role: 'user', content: 'q' }] };
const ctx = { tenant: 't', agent: 'a' };

async function run(primary: OpenAIPassthroughAdapter, second: ProviderAdapter, req: object = REQ) {
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary, anthropic: second }, log: silentLogger() });
  const s = await gw.chatSse(req, ctx);
  let text = '';
  for await (const piece of s) text += piece;
  const chunks = text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => JSON.parse(e.replace(/^data: /, '')));
  return { text, chunks, meta: await s.meta, metrics: gw.metrics() };
}

test('upstream events pass through with the tier as model; usage is parsed exactly and forwarded when asked for', async () => {
  const body =
    delta({ role: 'assistant', content: '' }) +
    delta({ content: 'Hel' }) +
    delta({ content: 'lo' }) +
    delta({}, 'stop') +
    ev({ choices: [], usage: USAGE }) +
    'data: [DONE]\n\n';
  // Reads split mid-event: events are reassembled before anything is parsed.
  const pieces = [body.slice(0, 50), body.slice(50, 51), body.slice(51, 300), body.slice(300)];
  const { text, chunks, meta } = await run(upstream(pieces).adapter, secondary([]).adapter, {
    ...REQ,
    stream_options: { include_usage: true },
  });
  assert.equal(text, body.replaceAll('"model":"gpt-4.1-mini"', '"model":"core"').replace('data: [DONE]\n\n', ''));
  assert.ok(chunks.every((c) => c.model === 'core' && c.id === 'chatcmpl-up'));
  assert.deepEqual(chunks.at(-1).usage, USAGE);
  assert.deepEqual(meta.usage, { inputTokens: 30, cachedInputTokens: 20, cacheCreationTokens: 0, outputTokens: 9 });
  assert.equal(meta.provider, 'openai');
});

test('without include_usage the usage event is counted but not forwarded', async () => {
  const body = `${delta({ role: 'assistant', content: 'Hi' }) + delta({}, 'stop') + ev({ choices: [], usage: USAGE })}data: [DONE]\n\n`;
  const { chunks, meta } = await run(upstream([body]).adapter, secondary([]).adapter);
  assert.equal(
    chunks.some((c) => c.usage),
    false,
  );
  assert.equal(meta.usage.outputTokens, 9);
});

test('a mid-stream break continues on the secondary with the exact text sent (escapes, non-ASCII split across reads) as prefix', async () => {
  const sent = 'Say "hi" \\ café ✓ ';
  const body = delta({ role: 'assistant', content: '' }) + delta({ content: 'Say "hi" \\ ' }) + delta({ content: 'café ✓ ' });
  // Socket reads that end inside the multi-byte characters (é is 2 bytes, ✓ is 3).
  const bytes = Buffer.from(body);
  const cuts = [0, bytes.indexOf('é') + 1, bytes.indexOf('✓') + 1, bytes.indexOf('✓') + 2, bytes.length];
  const reads = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
  const up = upstream(reads, new TypeError('terminated'));
  const sec = secondary([
    [{ type: 'text', text: ' done' }],
    [
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { ...ZERO_USAGE, inputTokens: 5, outputTokens: 3 } },
    ],
  ]);
  const { chunks, meta, metrics } = await run(up.adapter, sec.adapter, { ...REQ, stream_options: { include_usage: true } });
  assert.deepEqual(sec.calls[0].request.messages.at(-1), { role: 'assistant', content: sent });
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), `${sent}done`);
  assert.ok(
    chunks.every((c) => c.id === 'chatcmpl-up' && c.created === 7 && c.model === 'core'),
    'one id, created and model across providers',
  );
  assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role).length, 1);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
  assert.equal(meta.provider, 'anthropic');
  assert.equal(meta.failovers, 1);
  assert.equal(metrics.midStreamFailovers, 1);
  // The broken attempt is estimated (prompt + text sent) and added to the secondary's real usage.
  assert.ok(meta.usage.outputTokens > 3 && meta.usage.inputTokens > 5);
  assert.deepEqual(chunks.at(-1).usage.completion_tokens, meta.usage.outputTokens);
});

test('keys that only end like the ones the gateway reads (reasoning_content, base_model) are not taken for them', async () => {
  // Some OpenAI-compatible providers put reasoning text beside the answer, and extra *_model keys.
  const raw = (delta: object) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 7, base_model: 'gpt-base', model: 'gpt-4.1-mini', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`;
  const body = raw({ role: 'assistant', reasoning_content: 'think ', content: '' }) + raw({ reasoning_content: 'more', content: 'Hi' });
  const up = upstream([body], new TypeError('terminated'));
  const sec = secondary([[{ type: 'text', text: '!' }], [{ type: 'finish', reason: 'stop' }]]);
  const { chunks } = await run(up.adapter, sec.adapter);
  assert.deepEqual(sec.calls[0].request.messages.at(-1), { role: 'assistant', content: 'Hi' });
  const forwarded = chunks.filter((c) => c.base_model);
  assert.equal(forwarded.length, 2);
  assert.ok(forwarded.every((c) => c.base_model === 'gpt-base' && c.model === 'core'));
});

test('tool call deltas are held and sent whole before the finish; a break mid-call sends none of it', async () => {
  const tc = (d: object) => delta({ tool_calls: [{ index: 0, ...d }] });
  const head =
    delta({ role: 'assistant', content: null }) +
    tc({ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '' } }) +
    tc({ function: { arguments: '{"pa' } });
  const whole = await run(
    upstream([head + tc({ function: { arguments: 'th":"a"}' } }) + delta({}, 'tool_calls') + ev({ choices: [], usage: USAGE })]).adapter,
    secondary([]).adapter,
  );
  const calls = whole.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assert.deepEqual(calls, [{ index: 0, id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }]);
  assert.equal(whole.chunks.at(-1).choices[0].finish_reason, 'tool_calls');

  const sec = secondary([
    [
      { type: 'tool_call', index: 0, id: 's1', name: 'read_file', arguments: '{"path":"b"}' },
      { type: 'finish', reason: 'tool_calls' },
    ],
  ]);
  const broken = await run(upstream([head], new TypeError('terminated')).adapter, sec.adapter);
  const got = broken.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assert.deepEqual(got, [{ index: 0, id: 's1', type: 'function', function: { name: 'read_file', arguments: '{"path":"b"}' } }]);
});

test('an error event, or an end without a finish reason, is a broken stream that fails over', async () => {
  for (const body of [
    `${delta({ role: 'assistant', content: 'x' })}data: {"error":{"message":"overloaded"}}\n\n`,
    `${delta({ role: 'assistant', content: 'x' })}data: [DONE]\n\n`,
  ]) {
    const sec = secondary([[{ type: 'finish', reason: 'stop' }]]);
    const { meta } = await run(upstream([body]).adapter, sec.adapter);
    assert.equal(meta.provider, 'anthropic');
    assert.equal(sec.calls.length, 1);
  }
});

test('a request-caused error before the first byte rejects and is not retried; a 5xx fails over', async () => {
  const rejecting = upstream([], Object.assign(new Error('bad'), { status: 400 }));
  const sec = secondary([[{ type: 'finish', reason: 'stop' }]]);
  const gw = createLlmGateway({ providers: {}, adapters: { openai: rejecting.adapter, anthropic: sec.adapter }, log: silentLogger() });
  await assert.rejects(gw.chatSse(REQ, ctx), { code: 'upstream_rejected', status: 400 });
  assert.equal(sec.calls.length, 0);

  const failing = upstream([], Object.assign(new Error('down'), { status: 503 }));
  const { meta, chunks } = await run(
    failing.adapter,
    secondary([
      [
        { type: 'text', text: 'ok' },
        { type: 'finish', reason: 'stop' },
      ],
    ]).adapter,
  );
  assert.equal(meta.provider, 'anthropic');
  assert.equal(meta.failedOver, true);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
});

/** Waits until the signal aborts (already, or later), then throws its reason, as a real call does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

test('a stream stopped after the usage event but before [DONE] is billed with the provider’s report, not an estimate', async () => {
  const body = delta({ role: 'assistant', content: 'Hi' }) + delta({}, 'stop') + ev({ choices: [], usage: USAGE });
  const adapter: OpenAIPassthroughAdapter = {
    ...upstream([]).adapter,
    async openSse(call) {
      return (async function* () {
        yield body;
        await untilAborted(call.signal);
      })();
    },
  };
  const gw = createLlmGateway({ providers: {}, adapters: { openai: adapter, anthropic: secondary([]).adapter }, log: silentLogger() });
  const s = await gw.chatSse(REQ, ctx);
  await s.cancel();
  const pending = Symbol('pending');
  const meta = await Promise.race([s.meta, new Promise<typeof pending>((r) => setImmediate(r, pending))]);
  assert.ok(meta !== pending, 'meta settled when the stream was stopped');
  assert.equal(meta.cancelled, true);
  assert.equal(meta.estimated, undefined);
  assert.deepEqual(meta.usage, { inputTokens: 30, cachedInputTokens: 20, cacheCreationTokens: 0, outputTokens: 9 });
});

test('a caller who leaves while the continuation after a mid-stream break is still opening is billed for the broken attempt', async () => {
  const primary = upstream([delta({ role: 'assistant', content: 'Hello ' })], new TypeError('terminated'));
  const { promise: opening, resolve: opened } = Promise.withResolvers<void>();
  const second: ProviderAdapter = {
    name: 'anthropic',
    complete: async () => assert.fail('not used'),
    stream: (call) => (opened(), untilAborted(call.signal)), // being opened: nothing yet
  };
  const gw = createLlmGateway({ providers: {}, adapters: { openai: primary.adapter, anthropic: second }, log: silentLogger() });
  const ctrl = new AbortController();
  const s = await gw.chatSse(REQ, { ...ctx, signal: ctrl.signal });
  const it = s[Symbol.asyncIterator]();
  await it.next(); // 'Hello '
  const pending = it.next(); // the break, then the failover to Anthropic, which waits
  await opening;
  ctrl.abort();
  await assert.rejects(pending);
  const meta = await s.meta;
  assert.equal(meta.cancelled, true);
  assert.equal(meta.estimated, true);
  assert.equal(meta.failovers, 1);
  assert.equal(meta.usage.outputTokens, 2); // ⌈'Hello ' 6 bytes / 4⌉
  assert.ok(meta.usage.inputTokens > 0);
});
