import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READ_FILE_TOOL, startProxy } from './harness.ts';

const CANARY = 'CANARY-7f3e9a-do-not-log';

for (const transport of ['sdk', 'passthrough'] as const) {
  test(`prompts and completions never reach the logs, across success, failover, errors and streams (${transport})`, async () => {
    const h = await startProxy({ timeoutMs: 300, transport });
    try {
      const client = h.client();
      const req = {
        model: 'core',
        messages: [
          { role: 'system' as const, content: `system ${CANARY}` },
          { role: 'user' as const, content: `user ${CANARY}` },
        ],
      };
      await client.chat.completions.create(req);
      h.openai.setFault({ status: 500, body: { error: { message: `upstream echo ${CANARY}`, type: 'server_error' } } }, { times: 1 });
      await client.chat.completions.create({ ...req, tools: [READ_FILE_TOOL] });
      h.openai.setFault({ resetAfterChunks: 3 }, { times: 1 });
      for await (const _ of await client.chat.completions.create({ ...req, stream: true }));
      h.openai.setFault({ status: 400, body: { error: { message: `bad ${CANARY}`, type: 'invalid_request_error' } } }, { times: 1 });
      await client.chat.completions.create(req).catch(() => undefined);
      await h.post(`{"model":"core","messages":[{"role":"user","content":"${CANARY}"`).catch(() => undefined); // broken JSON
      await h.post({ ...req, model: `model-${CANARY}` });
      await h.post({ ...req, unknown_field: CANARY });

      const all = h.logs.join('\n');
      // One line per request (3 answered, 4 refused), plus a warning per failover.
      const perRequest = h.logs.filter((l) => /"msg":"llm request (finished|rejected|failed)"/.test(l));
      assert.equal(perRequest.length, 7, 'one summary line per request');
      assert.equal(new Set(perRequest.map((l) => JSON.parse(l).reqId)).size, 7, 'each carries its request id');
      assert.equal(
        all.includes('"msg":"incoming request"') || all.includes('"msg":"request completed"'),
        false,
        'fastify request lines are off on the chat route',
      );
      assert.ok(all.includes('llm upstream attempt failed'), 'failover warnings were written');
      assert.equal(all.includes(CANARY), false, 'a prompt, completion or echo of them was logged');
      assert.equal(all.includes('Fake review'), false, 'completion text was logged');
    } finally {
      await h.close();
    }
  });
}
