import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { startFakeAnthropic, startFakeOpenAI, type Fault } from '../../../scripts/fakes/index.ts';
import { READ_FILE_TOOL, REQ, startProxy, type ProxyHarness } from './harness.ts';

/**
 * The `passthrough` OpenAI transport (undici, upstream events forwarded) through a real proxy,
 * driven by the official openai client. The fake's chunk ids start with `chatcmpl-fake-`; the
 * chunk path mints its own, so seeing the fake's id proves the bytes came straight through.
 */

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

const textOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');

test('passthrough: a non-streaming completion through the official client', async () => {
  const h = await startProxy({ transport: 'passthrough' });
  try {
    const { data, response } = await h.client().chat.completions.create(REQ).withResponse();
    assert.equal(data.model, 'core');
    assert.match(data.choices[0].message.content ?? '', /^Fake review/);
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage && data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
    assert.equal(response.headers.get('x-agentplane-provider'), 'openai');
    assert.equal(h.openai.requests.count, 1);
    assert.equal(h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('passthrough: a stream arrives as the upstream sent it, the tier as model, usage in the last chunk', async () => {
  const h = await startProxy({ transport: 'passthrough' });
  try {
    const { data: stream, response } = await h
      .client()
      .chat.completions.create({ ...REQ, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const chunks = await collect(stream);
    assert.match(textOf(chunks), /^Fake review .* No blocking issues\.$/);
    assert.ok(chunks.every((c) => c.model === 'core'));
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.match(chunks[0].id, /^chatcmpl-fake-/, 'the upstream events were forwarded, not rebuilt');
    assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role).length, 1);
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage && last.usage.prompt_tokens > 0 && last.usage.completion_tokens > 0);
    assert.match(response.headers.get('x-agentplane-pruned') ?? '', /^turns=0/);
    assert.ok(response.headers.get('x-request-id'));
    assert.equal(h.anthropic.requests.count, 0);

    const plain = await collect(await h.client().chat.completions.create({ ...REQ, stream: true }));
    assert.equal(
      plain.some((c) => c.usage),
      false,
      'no usage chunk unless asked for',
    );
  } finally {
    await h.close();
  }
});

const beforeFirstByte: [string, Fault][] = [
  ['a 500', { status: 500 }],
  ['a 200 that is an HTML page, not JSON or an event stream', { nonJson: true }],
  ['a 429 with Retry-After', { status: 429, retryAfter: 30 }],
  ['a hang (timeout)', { hang: true }],
  ['a connection reset', { resetAfterChunks: 0 }],
];

for (const [name, fault] of beforeFirstByte) {
  test(`passthrough: ${name} before the first byte fails over to Anthropic, streaming and not`, async () => {
    const h = await startProxy({ transport: 'passthrough', timeoutMs: 300 });
    try {
      h.openai.setFault(fault, { times: 2 });
      const { data, response } = await h.client().chat.completions.create(REQ).withResponse();
      assert.match(data.choices[0].message.content ?? '', /^Fake review/);
      assert.equal(response.headers.get('x-agentplane-provider'), 'anthropic');
      const chunks = await collect(
        await h.client().chat.completions.create({ ...REQ, stream: true, stream_options: { include_usage: true } }),
      );
      assert.match(textOf(chunks), /^Fake review .* No blocking issues\.$/);
      assert.ok(chunks[chunks.length - 1].usage);
      assert.equal(h.openai.requests.count, 2);
      assert.equal(h.anthropic.requests.count, 2);
    } finally {
      await h.close();
    }
  });
}

test('passthrough: a stream broken mid-way continues on Anthropic as one stream with the same id', async () => {
  const h = await startProxy({ transport: 'passthrough' });
  try {
    const expected = (await h.client().chat.completions.create(REQ)).choices[0].message.content;
    h.openai.setFault({ resetAfterChunks: 5 }, { times: 1 }); // role chunk + 4 words, then the socket dies
    const chunks = await collect(
      await h.client().chat.completions.create({ ...REQ, stream: true, stream_options: { include_usage: true } }),
    );
    assert.equal(textOf(chunks), expected);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.ok(chunks.every((c) => c.model === 'core'));
    assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role).length, 1);
    const finals = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finals.length, 1);
    assert.equal(finals[0].choices[0].finish_reason, 'stop');
    assert.ok(chunks[chunks.length - 1].usage);
    assert.equal(h.anthropic.requests.count, 1);
    assert.equal(h.gateway.metrics().midStreamFailovers, 1);
  } finally {
    await h.close();
  }
});

test('passthrough: a streamed tool call from OpenAI arrives whole, with finish_reason tool_calls', async () => {
  const h = await startProxy({ transport: 'passthrough' });
  try {
    const chunks = await collect(await h.client().chat.completions.create({ ...REQ, tools: [READ_FILE_TOOL], stream: true }));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function?.name, 'read_file');
    assert.deepEqual(JSON.parse(calls[0].function?.arguments ?? ''), { path: 'fake-value' });
    assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'tool_calls');
    assert.equal(h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('passthrough: a 400 caused by the request is returned as is and not retried, streaming and not', async () => {
  const h = await startProxy({ transport: 'passthrough' });
  try {
    h.openai.setFault({ status: 400 }, { times: 2 });
    for (const stream of [false, true]) {
      await assert.rejects(h.client().chat.completions.create({ ...REQ, stream }), (err: unknown) => {
        assert.ok(err instanceof APIError);
        assert.equal(err.status, 400);
        assert.equal((err.error as { code?: string }).code, 'upstream_rejected');
        return true;
      });
    }
    assert.equal(h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('passthrough: a client that goes away mid-stream ends the upstream call; one info line, no failure warning', async () => {
  const fakes = { openai: await startFakeOpenAI({ chunkDelayMs: 30 }), anthropic: await startFakeAnthropic() };
  const h = await startProxy({ transport: 'passthrough', fakes });
  try {
    const ctrl = new AbortController();
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...REQ, stream: true }),
      signal: ctrl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ctrl.abort();
    await reader.read().catch(() => undefined);
    for (let i = 0; i < 50 && !h.logs.some((l) => l.includes('client went away')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(h.logs.some((l) => l.includes('"code":"client_closed"')));
    assert.equal(
      h.logs.some((l) => l.includes('llm stream failed')),
      false,
    );
    assert.equal(h.anthropic.requests.count, 0, 'a caller who left is not failed over');
  } finally {
    await h.close();
    await fakes.openai.close();
    await fakes.anthropic.close();
  }
});

type Usage = { prompt: number; completion: number; total: number; cached: number };
const usageOf = (
  u:
    | { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens?: number } }
    | null
    | undefined,
): Usage | null =>
  u
    ? {
        prompt: u.prompt_tokens,
        completion: u.completion_tokens,
        total: u.total_tokens,
        cached: u.prompt_tokens_details?.cached_tokens ?? 0,
      }
    : null;

/** The same calls, with the same faults, against a fresh proxy and fresh fakes; what the client and the counters saw. */
async function scriptedRun(h: ProxyHarness) {
  const client = h.client();
  const seen: (Usage | null)[] = [];
  const streamed = async (body: object) => {
    const chunks = await collect(
      await client.chat.completions.create({ ...REQ, ...body, stream: true, stream_options: { include_usage: true } }),
    );
    seen.push(usageOf(chunks[chunks.length - 1].usage));
  };
  seen.push(usageOf((await client.chat.completions.create(REQ)).usage)); // prompt cache miss
  seen.push(usageOf((await client.chat.completions.create(REQ)).usage)); // prompt cache hit: cached input
  await streamed({});
  for await (const _ of await client.chat.completions.create({ ...REQ, stream: true })); // usage counted, not shown
  h.openai.setFault({ resetAfterChunks: 5 }, { times: 1 });
  await streamed({}); // mid-stream failover: estimate for the broken attempt + Anthropic's usage
  h.openai.setFault({ status: 500 }, { times: 1 });
  seen.push(usageOf((await client.chat.completions.create(REQ)).usage)); // Anthropic, with cache writes
  await streamed({ tools: [READ_FILE_TOOL] });
  await new Promise((r) => setImmediate(r));
  const day = new Date().toISOString().slice(0, 10);
  return { seen, rows: await h.counters.query(h.tenant, day, day) };
}

test('passthrough: input, cached input, cache-write and output counts are identical to the SDK path for the same calls', async () => {
  const results = [];
  for (const transport of ['sdk', 'passthrough'] as const) {
    const h = await startProxy({ transport });
    try {
      results.push(await scriptedRun(h));
    } finally {
      await h.close();
    }
  }
  const [sdk, passthrough] = results;
  assert.ok(sdk.seen.every((u) => u && u.prompt > 0 && u.completion > 0));
  assert.ok(sdk.seen[1]!.cached > 0, 'the repeated call read from the prompt cache');
  assert.deepEqual(passthrough.seen, sdk.seen);
  assert.equal(sdk.rows.length, 2);
  assert.ok(sdk.rows.some((r) => r.provider === 'anthropic' && r.cache_creation_tokens > 0));
  assert.deepEqual(passthrough.rows, sdk.rows);
});
