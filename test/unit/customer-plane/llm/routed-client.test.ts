import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRoutedLlm } from '../../../../customer-plane/llm/routed-client.ts';

test('routed mode asks for the agent token at each call, so a token rotated in the secret store is used without a restart', async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'core',
          choices: [{ index: 0, message: { role: 'assistant', content: '{}' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  let token = 'agent-token-one';
  let reads = 0;
  const llm = createRoutedLlm({
    controlPlaneUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agentToken: async () => (reads++, token),
  });
  const ask = () => llm.chat({ model: 'core', messages: [{ role: 'user', content: 'hi' }] }, { tenant: 't', agent: 'reviewer' });
  await ask();
  token = 'agent-token-two';
  await ask();
  assert.deepEqual(seen, ['Bearer agent-token-one', 'Bearer agent-token-two']);
  assert.equal(reads, 2);
});
