import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { query, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { startTopology, type Topology } from '../../scripts/topology/local-topology.ts';
import { deferNewestFirst } from '../support/cleanup.ts';

/**
 * Both planes as processes, exactly as operators run them; the customer plane is killed with SIGKILL
 * (its leaf and runner with it) while a code-review workflow is running, then started again from the
 * same state dir. The FAKE OpenAI answers each call after 2 s, so a run is under way long enough to
 * be killed. RUNNER_MAX_DELIVER is the default 3: a run killed once or twice is resumed and succeeds,
 * a run killed three times has used every delivery and ends failed with delivery_exhausted.
 */
const ACK_WAIT_MS = 2000;

async function runningAttempts(topo: Topology, id: string): Promise<number> {
  const rows = await query<{ attempts: number; status: string }>(
    topo.customerDatabaseUrl,
    'SELECT attempts, status FROM runtime.runs WHERE id = $1',
    [id],
  ).catch(() => []);
  return rows[0]?.status === 'running' ? rows[0].attempts : 0;
}

const workspaces = (topo: Topology) => {
  const dir = join(topo.customerStateDir, 'workspaces');
  return existsSync(dir) ? readdirSync(dir) : [];
};

async function dispatch(topo: Topology): Promise<string> {
  const res = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'sample' } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id as string;
}

test('the customer plane killed 1, 2 and 3 times during a workflow: each run ends succeeded or failed with a code, never stuck, and no workspace is left on disk', async (t) => {
  const defer = deferNewestFirst(t, 30_000);
  const topo = await startTopology({
    logLevel: 'warn',
    customerEnv: { RUNNER_ACK_WAIT_MS: String(ACK_WAIT_MS), RUNNER_REPORT_INTERVAL_MS: '500' },
  });
  defer(() => topo.stop());
  topo.openai.setFault({ latencyMs: 2000 });

  const outcomes: string[] = [];
  for (const kills of [1, 2, 3]) {
    const id = await dispatch(topo);
    for (let k = 1; k <= kills; k++) {
      // Killed while this delivery of the run is under way (the ledger counts deliveries as attempts).
      await waitFor(`delivery ${k} of the run`, async () => (await runningAttempts(topo, id)) >= k, 60_000, 50).catch(async (err) => {
        const wf = await topo.api(`/v1/workflows/${id}`, { token: topo.apiToken });
        const runs = await query(topo.customerDatabaseUrl, 'SELECT id, attempts, status FROM runtime.runs').catch(String);
        throw new Error(`${err.message}: ${JSON.stringify(wf.body)} ${JSON.stringify(runs)}\n${topo.customer.output().slice(-2000)}`);
      });
      await topo.customer.stop('SIGKILL');
      await topo.startCustomer();
    }
    const wf = await topo.waitForWorkflow(id, { timeoutMs: 90_000 });
    assert.ok(wf.status === 'succeeded' || (wf.status === 'failed' && typeof wf.errorCode === 'string'), JSON.stringify(wf));
    outcomes.push(`${kills} kill(s): ${wf.status}${wf.errorCode ? ` (${wf.errorCode})` : ''}`);
    if (kills < 3) assert.equal(wf.status, 'succeeded', `killed ${kills} time(s), the run resumed and finished`);
    else assert.deepEqual([wf.status, wf.errorCode], ['failed', 'delivery_exhausted'], 'every delivery used up');
    await waitFor('the workspace of the run removed', () => !workspaces(topo).includes(id), 20_000);
  }
  t.diagnostic(`outcomes: ${outcomes.join('; ')}`);
  assert.deepEqual(workspaces(topo), [], 'no workspace left on disk');
});

test('a customer plane that stops reporting has its running workflow timed out by the control plane (customer_plane_silent); back, it finishes the run and the real outcome replaces the time-out', async (t) => {
  const defer = deferNewestFirst(t, 30_000);
  const topo = await startTopology({
    logLevel: 'warn',
    customerEnv: { RUNNER_ACK_WAIT_MS: String(ACK_WAIT_MS), RUNNER_REPORT_INTERVAL_MS: '500' },
    controlEnv: { WORKFLOW_SILENCE_TIMEOUT_MS: '3000' },
  });
  defer(() => topo.stop());
  topo.openai.setFault({ latencyMs: 1500 });
  const id = await dispatch(topo);
  // Heartbeats keep a run that is slower than the time-out running while its plane lives.
  await waitFor('the run under way', async () => (await runningAttempts(topo, id)) >= 1, 60_000, 50);
  const alive = await topo.waitForWorkflow(id, { timeoutMs: 90_000 });
  assert.equal(alive.status, 'succeeded', 'a live plane’s run is not timed out, even when it takes longer than the time-out');

  const silent = await dispatch(topo);
  await waitFor('the second run under way', async () => (await runningAttempts(topo, silent)) >= 1, 60_000, 50);
  await topo.customer.stop('SIGKILL');
  const timedOut = await topo.waitForWorkflow(silent, { timeoutMs: 30_000 });
  assert.deepEqual([timedOut.status, timedOut.errorCode], ['failed', 'customer_plane_silent']);

  await topo.startCustomer();
  const resumed = await waitFor(
    'the run’s real outcome',
    async () => {
      const res = await topo.api(`/v1/workflows/${silent}`, { token: topo.apiToken });
      return res.body.status === 'succeeded' ? res.body : undefined;
    },
    90_000,
    200,
  );
  assert.equal(resumed.errorCode, null);
  t.diagnostic(`silent plane: ${timedOut.status} (${timedOut.errorCode}), then ${resumed.status} once it was back`);
});
