import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from 'openai';
import type { Fault } from '../../../scripts/fakes/index.ts';
import { REQ, startProxy } from './harness.ts';

const beforeFirstByte: [string, Fault][] = [
  ['a 500', { status: 500 }],
  ['a 429 with Retry-After', { status: 429, retryAfter: 30 }],
  ['a hang (timeout)', { hang: true }],
  ['a connection reset', { resetAfterChunks: 0 }],
];

// These run the SDK transport; passthrough.test.ts has their twins for the default transport.
for (const [name, fault] of beforeFirstByte) {
  test(`sdk: ${name} from the primary fails over to Anthropic inside the same non-streaming request`, async () => {
    const h = await startProxy({ timeoutMs: 300, transport: 'sdk' });
    try {
      h.openai.setFault(fault, { times: 1 });
      const { data, response } = await h.client().chat.completions.create(REQ).withResponse();
      assert.match(data.choices[0].message.content ?? '', /^Fake review/);
      assert.equal(response.headers.get('x-agentplane-provider'), 'anthropic');
      assert.equal(h.openai.requests.count, 1);
      assert.equal(h.anthropic.requests.count, 1);
    } finally {
      await h.close();
    }
  });

  test(`sdk: ${name} from the primary before the first byte fails over for a stream`, async () => {
    const h = await startProxy({ timeoutMs: 300, transport: 'sdk' });
    try {
      h.openai.setFault(fault, { times: 1 });
      const stream = await h.client().chat.completions.create({ ...REQ, stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      assert.match(text, /^Fake review .* No blocking issues\.$/);
      assert.equal(h.anthropic.requests.count, 1);
    } finally {
      await h.close();
    }
  });
}

test('sdk: a stream broken mid-way continues on the secondary as one uninterrupted stream with a final chunk', async () => {
  const h = await startProxy({ transport: 'sdk' });
  try {
    const plain = await h.client().chat.completions.create(REQ);
    const expected = plain.choices[0].message.content;
    h.openai.setFault({ resetAfterChunks: 5 }, { times: 1 }); // role chunk + 4 words, then the socket dies
    const stream = await h.client().chat.completions.create({ ...REQ, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, expected);
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

test('sdk: a 400 caused by the request is returned as is and not retried on the secondary', async () => {
  const h = await startProxy({ transport: 'sdk' });
  try {
    h.openai.setFault({ status: 400 }, { times: 1 });
    await assert.rejects(h.client().chat.completions.create(REQ), (err: unknown) => {
      assert.ok(err instanceof APIError);
      assert.equal(err.status, 400);
      assert.equal((err.error as { code?: string }).code, 'upstream_rejected');
      return true;
    });
    assert.equal(h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('while the primary breaker is open, requests go straight to the secondary with no primary attempt', async () => {
  const h = await startProxy({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000, minimumRps: 1000 } });
  try {
    h.openai.setFault({ status: 500 });
    const client = h.client();
    await client.chat.completions.create(REQ);
    await client.chat.completions.create(REQ);
    assert.equal(h.gateway.metrics().breaker.openai, 'open');
    const attemptsWhenOpened = h.openai.requests.count;
    for (let i = 0; i < 3; i++) await client.chat.completions.create(REQ);
    assert.equal(h.openai.requests.count, attemptsWhenOpened);
    assert.equal(h.anthropic.requests.count, 5);
    assert.equal(h.gateway.metrics().skippedOpen.openai, 3);
    assert.ok(h.logs.some((l) => l.includes('llm circuit breaker changed state') && l.includes('"to":"open"')));
  } finally {
    await h.close();
  }
});

test('when every provider fails the caller gets a 503 in OpenAI error shape with Retry-After', async () => {
  const h = await startProxy();
  try {
    h.openai.setFault({ status: 500 });
    h.anthropic.setFault({ status: 529 });
    const res = await h.post(REQ);
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const body = await res.json();
    assert.equal(body.error.code, 'upstream_unavailable');
    assert.equal(body.error.type, 'api_error');
    assert.ok('param' in body.error && typeof body.error.message === 'string');
  } finally {
    await h.close();
  }
});

for (const transport of ['sdk', 'passthrough'] as const) {
  test(`${transport}: the failover warning and the summary line of a request carry the same reqId, the one the client got`, async () => {
    const h = await startProxy({ transport });
    try {
      h.openai.setFault({ status: 500 }, { times: 2 });
      const ids: string[] = [];
      const plain = await h.client().chat.completions.create(REQ).withResponse();
      ids.push(plain.response.headers.get('x-request-id')!);
      const streamed = await h
        .client()
        .chat.completions.create({ ...REQ, stream: true })
        .withResponse();
      for await (const _ of streamed.data);
      ids.push(streamed.response.headers.get('x-request-id')!);
      for (let i = 0; i < 200 && h.logs.filter((l) => l.includes('llm request finished')).length < 2; i++)
        await new Promise((r) => setTimeout(r, 10));

      const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const id of ids) {
        const mine = lines.filter((l) => l.reqId === id).map((l) => l.msg);
        assert.deepEqual(mine, ['llm upstream attempt failed; trying next provider', 'llm request finished']);
      }
      assert.equal(
        lines.some((l) => 'requestId' in l),
        false,
        'one name for the request id on every line',
      );
    } finally {
      await h.close();
    }
  });
}

for (const transport of ['sdk', 'passthrough'] as const) {
  test(`${transport}: the provider’s request id is on the failover warning and on the line of a request the provider rejected`, async () => {
    const h = await startProxy({ transport });
    try {
      const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      h.openai.setFault({ status: 500 }, { times: 1 });
      await h.client().chat.completions.create(REQ);
      const failed = h.openai.requests.log.at(-1)!.requestId;
      const warning = lines().find((l) => l.msg === 'llm upstream attempt failed; trying next provider');
      assert.equal(warning?.providerRequestId, failed);

      h.openai.setFault({ status: 400 }, { times: 1 });
      await assert.rejects(h.client().chat.completions.create(REQ));
      const rejected = lines().find((l) => l.msg === 'llm request rejected');
      assert.equal(rejected?.providerRequestId, h.openai.requests.log.at(-1)!.requestId);
      assert.notEqual(rejected?.providerRequestId, failed);
    } finally {
      await h.close();
    }
  });
}
