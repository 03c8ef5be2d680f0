import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READ_FILE_TOOL, REQ, startProxy } from './harness.ts';
import { UUID_RE } from '../../../shared/ids.ts';

test('the official openai client gets a non-streaming completion through the proxy', async () => {
  const h = await startProxy();
  try {
    const { data, response } = await h.client().chat.completions.create(REQ).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, 'core');
    assert.match(data.choices[0].message.content ?? '', /^Fake review/);
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage && data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
    assert.equal(response.headers.get('x-agentplane-provider'), 'openai');
    assert.equal(response.headers.get('x-agentplane-pruned'), 'turns=0; tool_results=0');
    assert.equal(h.openai.requests.count, 1);
    assert.equal(h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('a streamed completion arrives as chunks with one finish chunk and usage in the last chunk', async () => {
  const h = await startProxy();
  try {
    const stream = await h.client().chat.completions.create({ ...REQ, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.match(text, /^Fake review .* No blocking issues\.$/);
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage && last.usage.completion_tokens > 0 && last.usage.prompt_tokens > 0);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  } finally {
    await h.close();
  }
});

test('tools round-trip through the Anthropic translation: tool call out, tool result back, text answer', async () => {
  const h = await startProxy();
  try {
    h.openai.setFault({ status: 503 }); // every request goes to the secondary
    const client = h.client();
    const first = await client.chat.completions.create({ ...REQ, tools: [READ_FILE_TOOL] });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'read_file');
    assert.deepEqual(JSON.parse(call.function.arguments), { path: 'fake-value' });

    const second = await client.chat.completions.create({
      ...REQ,
      tools: [READ_FILE_TOOL],
      messages: [...REQ.messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'file body' }],
    });
    assert.equal(second.choices[0].finish_reason, 'stop');
    assert.match(second.choices[0].message.content ?? '', /^Fake review/);
    assert.equal(h.anthropic.requests.count, 2);
  } finally {
    await h.close();
  }
});

test('a streamed tool call through Anthropic arrives whole with finish_reason tool_calls', async () => {
  const h = await startProxy();
  try {
    h.openai.setFault({ status: 500 });
    const stream = await h.client().chat.completions.create({ ...REQ, tools: [READ_FILE_TOOL], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function?.name, 'read_file');
    assert.deepEqual(JSON.parse(calls[0].function?.arguments ?? ''), { path: 'fake-value' });
    assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'tool_calls');
  } finally {
    await h.close();
  }
});

test('response_format json_object yields JSON content', async () => {
  const h = await startProxy();
  try {
    const r = await h.client().chat.completions.create({ ...REQ, response_format: { type: 'json_object' } });
    assert.match(JSON.parse(r.choices[0].message.content ?? '').review, /^Fake review/);
  } finally {
    await h.close();
  }
});

test('request ids: a random UUID when none (or an unsafe one) is sent, a sane caller id kept; on plain and streamed replies', async () => {
  const h = await startProxy();
  try {
    const send = (stream: boolean, id?: string) =>
      fetch(`${h.url}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.agentToken}`,
          'content-type': 'application/json',
          ...(id === undefined ? {} : { 'x-request-id': id }),
        },
        body: JSON.stringify({ ...REQ, stream }),
      });
    const seen: string[] = [];
    for (const stream of [false, true]) {
      for (const id of [undefined, 'bad id with spaces', 'x'.repeat(65)]) {
        const res = await send(stream, id);
        await res.arrayBuffer();
        const got = res.headers.get('x-request-id') ?? '';
        assert.match(got, UUID_RE, `generated for ${JSON.stringify(id)}`);
        seen.push(got);
      }
      const res = await send(stream, 'client-req_42:a.b');
      await res.arrayBuffer();
      assert.equal(res.headers.get('x-request-id'), 'client-req_42:a.b');
    }
    assert.equal(new Set(seen).size, seen.length, 'every generated id is new');
  } finally {
    await h.close();
  }
});
