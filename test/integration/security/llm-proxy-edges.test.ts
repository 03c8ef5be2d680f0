import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startProxy } from '../llm-proxy/harness.ts';
import { startInProcessControlPlane } from '../../support/control-plane.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../../../scripts/fakes/index.ts';

const chat = (content: string) => JSON.stringify({ model: 'core', messages: [{ role: 'user', content }] });

/** A chat request sent with Transfer-Encoding: chunked, so it carries no Content-Length. */
function postChunked(url: string, token: string, body: string): Promise<number> {
  const u = new URL(`${url}/chat/completions`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    // Two writes before end(): Node sends the body chunked.
    req.write(body.slice(0, 10));
    req.end(body.slice(10));
  });
}

test('a chunked request is estimated from its parsed body, so it cannot slip a large prompt under the tokens-per-minute limit', async (t) => {
  // 40 KB of prompt is ~10 K tokens by the bytes/4 estimate, over a 2 K tokens-per-minute limit.
  const h = await startProxy({ tpm: 2000 });
  t.after(() => h.close());
  assert.equal(await postChunked(h.url, h.agentToken, chat('short')), 200, 'a small chunked request passes (the control)');
  assert.equal(await postChunked(h.url, h.agentToken, chat('word '.repeat(8000))), 429, 'a large chunked request is over the limit');
  assert.equal(h.openai.requests.count, 1, 'the refused request reached no provider');
});

test("the routed proxy refuses a direct-mode tenant's agent token, and serves a routed tenant's", async (t) => {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  const h = await startInProcessControlPlane({
    OPENAI_API_KEY: 'fake',
    OPENAI_BASE_URL: openai.url,
    ANTHROPIC_API_KEY: 'fake',
    ANTHROPIC_BASE_URL: anthropic.url,
  });
  t.after(async () => {
    await h.stop();
    await openai.close();
    await anthropic.close();
  });
  const op = await h.operatorToken();
  const agentTokenOf = async (llmMode: string) => {
    const res = await fetch(`${h.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: llmMode, llmMode }),
    });
    const tenant = ((await res.json()) as { tenant: { id: string } }).tenant.id;
    return h.cp.issuer.issue({ typ: 'agent', tenant, sub: 'reviewer', ttlSeconds: 600 });
  };
  const call = async (token: string) => {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: chat('hello'),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  };
  const direct = await call(await agentTokenOf('direct'));
  assert.equal(direct.status, 403);
  assert.equal(direct.body.error?.code, 'llm_mode_direct');
  assert.equal((await call(await agentTokenOf('routed'))).status, 200);
  assert.equal(openai.requests.count, 1, 'only the routed tenant reached a provider');
});
