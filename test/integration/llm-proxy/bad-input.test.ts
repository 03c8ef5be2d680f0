import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL_MAP } from '../../../shared/llm/index.ts';
import { REQ, startProxy } from './harness.ts';

async function expectError(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  const body = await res.json();
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
}

test('malformed and invalid bodies get a 400 in OpenAI error shape and reach no provider', async () => {
  const h = await startProxy();
  try {
    await expectError(await h.post('{"model": "core", '), 400, 'invalid_json');
    await expectError(await h.post({ model: 'core' }), 400, 'invalid_request');
    await expectError(await h.post({ ...REQ, messages: [] }), 400, 'invalid_request');
    await expectError(await h.post({ ...REQ, messages: [{ role: 'wizard', content: 'x' }] }), 400, 'invalid_request');
    await expectError(await h.post({ ...REQ, temperature: 'hot' }), 400, 'invalid_request');
    await expectError(await h.post({ ...REQ, surprise: true }), 400, 'invalid_request');
    await expectError(await h.post({ ...REQ, n: 3 }), 400, 'invalid_request');
    assert.equal(h.openai.requests.count + h.anthropic.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('an unknown model name is a 400 model_not_found', async () => {
  const h = await startProxy();
  try {
    await expectError(await h.post({ ...REQ, model: 'gpt-4o' }), 400, 'model_not_found');
  } finally {
    await h.close();
  }
});

test('a missing or invalid token is a 401 in OpenAI error shape', async () => {
  const h = await startProxy();
  try {
    const res = await fetch(`${h.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(REQ),
    });
    await expectError(res, 401, 'token_missing');
    await expectError(await h.post(REQ, 'not-a-token'), 401, 'token_invalid');
  } finally {
    await h.close();
  }
});

test('old turns are pruned to fit a small window and the response says so in a header', async () => {
  const small = structuredClone(DEFAULT_MODEL_MAP);
  small.core.openai.contextWindow = 350; // 250 prompt tokens after the 100-token output reserve
  const h = await startProxy({ modelMap: small });
  try {
    const old = 'word '.repeat(300);
    const body = {
      model: 'core',
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'You review code.' },
        { role: 'user', content: old },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: old },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'And now?' },
      ],
    };
    const res = await h.post(body);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-agentplane-pruned') ?? '', /^turns=2; tool_results=0; tokens=\d+->\d+$/);
    assert.ok(h.openai.requests.log[0].bytes < old.length, 'the provider received the pruned conversation');
  } finally {
    await h.close();
  }
});

test('messages over the window even after pruning are a 400 context_length_exceeded', async () => {
  const small = structuredClone(DEFAULT_MODEL_MAP);
  small.core.openai.contextWindow = 600;
  const h = await startProxy({ modelMap: small });
  try {
    const res = await h.post({ model: 'core', max_tokens: 100, messages: [{ role: 'user', content: 'word '.repeat(1000) }] });
    await expectError(res, 400, 'context_length_exceeded');
    assert.equal(h.openai.requests.count, 0);
  } finally {
    await h.close();
  }
});

test('a non-JSON reply from every provider is a 502 in OpenAI error shape, and the process carries on', async () => {
  const h = await startProxy();
  try {
    h.openai.setFault({ nonJson: true }, { times: 1 });
    h.anthropic.setFault({ nonJson: true }, { times: 1 });
    await expectError(await h.post(REQ), 502, 'upstream_bad_response');
    assert.equal((await h.post(REQ)).status, 200);
  } finally {
    await h.close();
  }
});

test('a non-JSON reply from the primary alone fails over to the secondary', async () => {
  const h = await startProxy();
  try {
    h.openai.setFault({ nonJson: true }, { times: 1 });
    const res = await h.post({ ...REQ, stream: true });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data: \[DONE\]/);
    assert.equal(h.anthropic.requests.count, 1);
  } finally {
    await h.close();
  }
});

test('prompts that must be counted are answered whatever text they hold: special-token strings, NUL characters, lone surrogates, invalid UTF-8', async () => {
  // A window small enough that each of these prompts is over its byte bound and is counted.
  const small = { ...DEFAULT_MODEL_MAP.core.openai, contextWindow: 6000 };
  const h = await startProxy({ modelMap: { core: { openai: small, anthropic: small }, ultra: DEFAULT_MODEL_MAP.ultra } });
  try {
    const filler = 'word '.repeat(400);
    for (const odd of ['<|endoftext|>', '<|fim_prefix|><|fim_suffix|>', '\u0000', '\ud800', 'x\udfff', '\ufffe']) {
      const res = await h.post({
        ...REQ,
        max_tokens: 2000,
        messages: [...REQ.messages, { role: 'user', content: `${filler}${odd}${filler}` }],
      });
      assert.equal(res.status, 200, JSON.stringify(odd));
      assert.match(String(res.headers.get('x-agentplane-pruned')), /tokens=\d+->\d+/, `${JSON.stringify(odd)} was counted`);
    }
    const json = JSON.stringify({ ...REQ, messages: [{ role: 'user', content: 'AB' }] });
    const invalidUtf8 = Buffer.from(json.replace('AB', '\u00ff\u00fe'), 'latin1'); // lone 0xFF 0xFE bytes
    const res = await fetch(`${h.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.agentToken}`, 'content-type': 'application/json' },
      body: invalidUtf8,
    });
    await expectError(res, 400, 'invalid_utf8');
  } finally {
    await h.close();
  }
});
