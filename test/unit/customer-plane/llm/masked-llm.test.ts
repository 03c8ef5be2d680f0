import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedLlm } from '../../../../customer-plane/llm/masked-llm.ts';
import type { RunnerChatRequest, RunnerChatResult, RunnerLlm } from '../../../../customer-plane/llm/types.ts';
import { inputsEnvelope, toolResultEnvelope } from '../../../../customer-plane/runner/untrusted.ts';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';

/**
 * The provider's side of the masked client: a fake that records every request it is sent, so a test
 * reads exactly what would have left the run. The masker is the run's real one.
 */
const TOKEN = 'tok-9f8e7d6c5b4a3921';
/** A secret with a quote and a backslash: inside JSON text (tool arguments, envelopes) it is escaped. */
const PASSWORD = 'pa"ss\\w0rd-hunter2';

function provider() {
  const sent: Array<{ request: RunnerChatRequest; ctx: unknown }> = [];
  let closed = 0;
  const reply: RunnerChatResult = {
    completion: { choices: [{ message: { content: '{"summary":"done"}' }, finish_reason: 'stop' }] },
    meta: { usage: { inputTokens: 1, cachedInputTokens: 0, cacheCreationTokens: 0, outputTokens: 1 } },
  };
  const llm: RunnerLlm = {
    async chat(request, ctx) {
      sent.push({ request: structuredClone(request), ctx });
      return reply;
    },
    async close() {
      closed += 1;
    },
  };
  return { llm, sent, reply, closed: () => closed };
}

function runMasker() {
  const masker = createMasker();
  masker.add('DEPLOY_TOKEN', TOKEN);
  masker.add('DB_PASSWORD', PASSWORD);
  return masker;
}

const request = (messages: RunnerChatRequest['messages']): RunnerChatRequest => ({ model: 'core', messages });
const ctx = { tenant: 't1', agent: 'reviewer' };

test('no secret value reaches the provider from any part of a request: instructions, task, tool calls and their results', async () => {
  const p = provider();
  const llm = maskedLlm(p.llm, runMasker());
  await llm.chat(
    request([
      { role: 'system', content: `You deploy with ${TOKEN}.` },
      { role: 'user', content: `Task. ${inputsEnvelope({ scan: { summary: `found ${TOKEN}` } })}` },
      {
        role: 'assistant',
        content: `I will log in as ${PASSWORD}`,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'run_command', arguments: JSON.stringify({ command: 'psql', args: [PASSWORD] }) },
          },
          {
            id: 'c2',
            type: 'function',
            function: { name: 'fetch_url', arguments: JSON.stringify({ url: `https://x.example/?t=${TOKEN}` }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: toolResultEnvelope('run_command', { command: 'psql' }, { ok: true, output: PASSWORD }) },
      { role: 'tool', tool_call_id: 'c2', content: `base64 ${Buffer.from(TOKEN).toString('base64')}` },
    ]),
    ctx,
  );
  const [sent] = p.sent;
  const wire = JSON.stringify(sent!.request);
  for (const leak of [TOKEN, 'tok-9f8e7d6c', 'hunter2', Buffer.from(TOKEN).toString('base64')]) {
    assert.ok(!wire.includes(leak), `the request sent to the provider holds ${leak}`);
  }
  const [system, user, assistant, result1, result2] = sent!.request.messages;
  assert.equal(system!.content, 'You deploy with [masked:DEPLOY_TOKEN].');
  assert.match(String(user!.content), /found \[masked:DEPLOY_TOKEN\]/);
  assert.equal(assistant!.content, 'I will log in as [masked:DB_PASSWORD]');
  assert.deepEqual(assistant!.role === 'assistant' && assistant.tool_calls, [
    { id: 'c1', type: 'function', function: { name: 'run_command', arguments: '{"command":"psql","args":["[masked:DB_PASSWORD]"]}' } },
    { id: 'c2', type: 'function', function: { name: 'fetch_url', arguments: '{"url":"https://x.example/?t=[masked:DEPLOY_TOKEN]"}' } },
  ]);
  assert.equal(JSON.parse(result1!.content as string).content, '[masked:DB_PASSWORD]');
  assert.match(result2!.content as string, /^base64 \[masked:DEPLOY_TOKEN\]=*$/);
});

test("a secret echoed in a model's call id or tool name is masked there too, and the call still pairs with its result", async () => {
  const p = provider();
  await maskedLlm(p.llm, runMasker()).chat(
    request([
      { role: 'user', content: 'Task' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: `call_${TOKEN}`, type: 'function', function: { name: `read_${TOKEN}`, arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: `call_${TOKEN}`, content: 'refused: unknown tool' },
    ]),
    ctx,
  );
  const wire = JSON.stringify(p.sent[0]!.request);
  assert.ok(!wire.includes(TOKEN), 'the call id or the tool name carried the token to the provider');
  const [, assistant, result] = p.sent[0]!.request.messages;
  const call = assistant!.role === 'assistant' ? assistant.tool_calls![0]! : undefined;
  assert.equal(call!.id, 'call_[masked:DEPLOY_TOKEN]');
  assert.equal(call!.function.name, 'read_[masked:DEPLOY_TOKEN]');
  assert.equal(result!.role === 'tool' && result.tool_call_id, call!.id);
});

test('what is not secret is sent as the caller wrote it: roles, call ids, the tool list, the schema, the limits', async () => {
  const p = provider();
  const original: RunnerChatRequest = {
    model: 'ultra',
    messages: [
      { role: 'system', content: 'Review the diff.' },
      { role: 'user', content: 'Task: review' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_7', content: 'const a = 1;' },
      { role: 'assistant', content: 'Looking further.' },
    ],
    tools: [{ type: 'function', function: { name: 'read_file', description: 'Reads a file', parameters: { type: 'object' } } }],
    tool_choice: 'auto',
    response_format: { type: 'json_schema', json_schema: { name: 'agent_output', schema: { type: 'object' }, strict: false } },
    max_tokens: 512,
  };
  await maskedLlm(p.llm, runMasker()).chat(original, ctx);
  assert.deepEqual(p.sent[0]!.request, original);
  // A turn of text alone goes out without a tool_calls field (providers refuse an empty list).
  assert.ok(!('tool_calls' in p.sent[0]!.request.messages[4]!));
});

test("the provider's reply and the call's context (tenant, agent, request id, abort signal) pass through unchanged", async () => {
  const p = provider();
  const signal = new AbortController().signal;
  const callCtx = { tenant: 't9', agent: 'fixer', requestId: 'req-1', signal };
  const result = await maskedLlm(p.llm, runMasker()).chat(request([{ role: 'user', content: 'hi' }]), callCtx);
  assert.equal(result, p.reply);
  assert.equal(p.sent[0]!.ctx, callCtx);
});

test('a secret the run learns after the client was made is masked from the next request on', async () => {
  const p = provider();
  const masker = createMasker();
  const llm = maskedLlm(p.llm, masker);
  await llm.chat(request([{ role: 'user', content: 'key late-secret-value-77' }]), ctx);
  masker.add('LATE', 'late-secret-value-77');
  await llm.chat(request([{ role: 'user', content: 'key late-secret-value-77' }]), ctx);
  assert.deepEqual(
    p.sent.map((s) => s.request.messages[0]!.content),
    ['key late-secret-value-77', 'key [masked:LATE]'],
  );
});

test("closing the masked client closes the provider's client", async () => {
  const p = provider();
  await maskedLlm(p.llm, runMasker()).close();
  assert.equal(p.closed(), 1);
});
