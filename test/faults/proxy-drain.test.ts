import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { startTopology } from '../../scripts/topology/local-topology.ts';
import { deferNewestFirst } from '../support/cleanup.ts';

const CALLS = 8;
const DRAIN_MS = 3000;

type Outcome = 'completed' | 'cut' | `unexpected: ${string}`;

/** One call to the routed proxy, read to its end: a whole answer, or the shutdown's refusal. */
async function call(url: string, token: string, stream: boolean): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'core', stream, messages: [{ role: 'user', content: 'review this change, please' }] }),
    });
  } catch (err) {
    return `unexpected: ${String(err)}`;
  }
  const text = await res.text().catch((err) => `read failed: ${String(err)}`);
  if (res.status === 503 && text.includes('"shutting_down"')) return 'cut';
  if (res.status !== 200) return `unexpected: ${res.status} ${text.slice(0, 200)}`;
  if (!stream) return JSON.parse(text).choices?.[0]?.message ? 'completed' : `unexpected: ${text.slice(0, 200)}`;
  if (text.includes('"shutting_down"')) return 'cut';
  return text.trimEnd().endsWith('data: [DONE]') && !text.includes('"error"') ? 'completed' : `unexpected: ${text.slice(-200)}`;
}

test(`SIGTERM with ${CALLS} streaming and non-streaming proxy calls in flight: each completes or is cut at the drain deadline, and every one is in the usage table`, async (t) => {
  const defer = deferNewestFirst(t, 30_000);
  const topo = await startTopology({
    logLevel: 'warn',
    customerEnv: { LLM_MODE: 'routed' },
    // The usage is written at shutdown, not by the periodic flush.
    controlEnv: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS), LLM_USAGE_FLUSH_MS: '600000', LLM_TIMEOUT_MS: '30000' },
    fakeOptions: { chunkDelayMs: 50 },
  });
  defer(() => topo.stop());
  const minted = await topo.api(`/v1/tenants/${topo.tenant}/tokens`, { body: { typ: 'agent', sub: 'drain-test', ttlSeconds: 600 } });
  const agentToken = minted.body.token as string;
  // Replies start after 0.2 to 6.2 s (spread evenly, the same every run); a stream then takes ~1 s
  // more. With a 3 s drain, the quick calls finish and the slow ones are cut.
  topo.openai.setFault({ latencyMs: 200, spreadMs: 6000 });
  const kinds = Array.from({ length: CALLS }, (_, i) => i % 2 === 0);
  const calls = kinds.map((stream) => call(topo.apiUrl, agentToken, stream));
  await waitFor('every call to reach the provider', () => topo.openai.requests.count >= CALLS, 20_000, 20);

  const stopping = Date.now();
  const code = await topo.control.stop('SIGTERM');
  const stopMs = Date.now() - stopping;
  const outcomes = await Promise.all(calls);
  assert.equal(code, 0, topo.control.output().slice(-3000));
  assert.ok(stopMs < DRAIN_MS + 10_000, `stopped ${stopMs} ms after SIGTERM`);

  const unexpected = outcomes.filter((o) => o !== 'completed' && o !== 'cut');
  assert.deepEqual(unexpected, [], 'every call either completed or was cut');
  const completed = outcomes.filter((o) => o === 'completed').length;
  const cut = outcomes.filter((o) => o === 'cut').length;
  const byKind = (stream: boolean, o: Outcome) => outcomes.filter((x, i) => kinds[i] === stream && x === o).length;
  assert.ok(completed >= 1 && cut >= 1, `both outcomes happen (${completed} completed, ${cut} cut)`);

  const [usage] = await query<{ requests: number; cancelled: number }>(
    topo.databaseUrl,
    'SELECT sum(requests)::int AS requests, sum(cancelled_requests)::int AS cancelled FROM llm_usage WHERE tenant_id = $1',
    [topo.tenant],
  );
  assert.deepEqual(usage, { requests: CALLS, cancelled: cut }, 'every call is in the usage table; the cut ones as cancelled');
  t.diagnostic(
    `${CALLS} calls: ${completed} completed (${byKind(true, 'completed')} streaming), ${cut} cut at the ${DRAIN_MS} ms deadline (${byKind(true, 'cut')} streaming); usage table: ${usage.requests} requests, ${usage.cancelled} cancelled; stopped in ${stopMs} ms`,
  );
});
