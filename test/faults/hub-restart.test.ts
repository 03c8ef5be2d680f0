import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { query, startTestHub, tempDir, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { startTopology, type Topology } from '../../scripts/topology/local-topology.ts';
import { deferNewestFirst } from '../support/cleanup.ts';
import { pidsWithArgument } from '../support/processes.ts';

async function dispatch(topo: Topology): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${topo.apiUrl}/v1/workflows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${topo.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'index-only', repo: 'sample' }),
  });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

async function readyz(topo: Topology): Promise<any> {
  return (await fetch(`${topo.apiUrl}/readyz`)).json();
}

test('kill -9 of the control plane takes its embedded hub with it; restarted, the hub is back on the same ports and store, the enrolled customer plane links again and runs the next workflow', async (t) => {
  const defer = deferNewestFirst(t, 30_000);
  const topo = await startTopology({ logLevel: 'warn' });
  defer(() => topo.stop());
  const hubDir = join(topo.workDir, 'control-plane', 'hub');
  const ports = readFileSync(join(hubDir, 'ports.json'), 'utf8');
  const first = await dispatch(topo);
  assert.equal(first.status, 202);
  assert.equal((await topo.waitForWorkflow(first.body.id, { timeoutMs: 60_000 })).status, 'succeeded');
  assert.deepEqual((await readyz(topo)).leaves, { enrolled: 1, linked: 1, status: 'all' });

  await topo.control.stop('SIGKILL');
  await waitFor('the hub to die with its control plane', () => pidsWithArgument(join(hubDir, 'hub.conf')).length === 0, 10_000);

  await topo.startControl();
  assert.equal(readFileSync(join(hubDir, 'ports.json'), 'utf8'), ports, 'the same client, leafnode and monitor ports');
  const linked = await waitFor(
    'the customer plane’s leaf to link again',
    async () => {
      const body = await readyz(topo);
      return body.leaves?.linked === 1 ? body : undefined;
    },
    60_000,
    250,
  );
  assert.equal(linked.status, 'ready');
  const next = await dispatch(topo);
  assert.equal(next.status, 202);
  const wf = await topo.waitForWorkflow(next.body.id, { timeoutMs: 60_000 });
  assert.equal(wf.status, 'succeeded');
  t.diagnostic(`after the restart: leaves ${linked.leaves.linked}/${linked.leaves.enrolled} linked, next workflow ${wf.status}`);
});

test('a dispatch while the hub is down is refused with 503 unavailable and Retry-After and leaves no row; once the hub is back the same request is accepted and runs', async (t) => {
  const defer = deferNewestFirst(t, 30_000);
  const dir = tempDir('outage');
  defer(() => dir.remove());
  // An external hub the test owns, so it stays down until the test restarts it.
  const hub = await startTestHub(join(dir.path, 'hub'));
  defer(() => hub.stop());
  const topo = await startTopology({ logLevel: 'warn', controlEnv: hub.env });
  defer(() => topo.stop());
  const warm = await dispatch(topo);
  assert.equal((await topo.waitForWorkflow(warm.body.id, { timeoutMs: 60_000 })).status, 'succeeded');
  const rows = async () => Number((await query<{ n: string }>(topo.databaseUrl, 'SELECT count(*) AS n FROM workflows'))[0].n);
  const before = await rows();

  await hub.kill9();
  const refused: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = Date.now();
    const res = await dispatch(topo);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'unavailable');
    assert.equal(res.retryAfter, '5');
    refused.push(Date.now() - started);
  }
  assert.equal(await rows(), before, 'no queued row is left by a refused dispatch');
  assert.ok(Math.max(...refused) < 4000, `refused promptly, not after a publish time-out (${refused.join(', ')} ms)`);
  assert.equal((await fetch(`${topo.apiUrl}/readyz`)).status, 503, 'readiness says the hub is down');

  await hub.restart();
  const accepted = await waitFor(
    'the dispatch to be accepted once the hub is back',
    async () => {
      const res = await dispatch(topo);
      return res.status === 202 ? res : undefined;
    },
    30_000,
    500,
  );
  const wf = await topo.waitForWorkflow(accepted.body.id, { timeoutMs: 60_000 });
  assert.equal(wf.status, 'succeeded');
  assert.equal(await rows(), before + 1, 'exactly the accepted workflow was added');
  t.diagnostic(
    `hub down: ${refused.length} dispatches refused (503) in ${refused.join(', ')} ms, no row left; back: accepted and ${wf.status}`,
  );
});
