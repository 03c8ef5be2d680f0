import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../scripts/topology/boundary-rig.ts';
import { startInProcessControlPlane } from '../support/control-plane.ts';

test('readiness follows the hub: not ready while the embedded hub is dead, ready again once its supervisor restarted it on the same ports; liveness stays up', async (t) => {
  const h = await startInProcessControlPlane();
  t.after(() => h.stop());
  const ready = await fetch(`${h.url}/readyz`);
  assert.equal(ready.status, 200);
  const readyBody = (await ready.json()) as any;
  assert.deepEqual(readyBody.checks, { postgres: 'ok', nats: 'ok' });
  assert.deepEqual(readyBody.leaves, { enrolled: 0, linked: 0, status: 'all' }, 'no enrolled leaf yet: nothing is missing');
  const hub = h.cp.embeddedHub;
  assert.ok(hub, 'the harness runs an embedded hub');
  const ports = readFileSync(join(h.stateDir, 'hub', 'ports.json'), 'utf8');
  const firstPid = hub.process.pid;
  await hub.process.stop('SIGKILL');
  const down = await fetch(`${h.url}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as any;
  assert.equal(body.checks.nats, 'failing');
  assert.equal(body.checks.postgres, 'ok');
  assert.deepEqual(body.error, { code: 'not_ready', message: 'failing: nats' }, 'the error shape of every refusal');
  assert.equal(down.headers.get('retry-after'), '5');
  assert.equal((await fetch(`${h.url}/healthz`)).status, 200);

  await waitFor(
    'readiness after the supervisor restarted the hub',
    async () => (await fetch(`${h.url}/readyz`)).status === 200,
    20_000,
    100,
  );
  assert.equal(hub.restarts(), 1);
  assert.notEqual(hub.process.pid, firstPid, 'a new hub process');
  assert.equal(readFileSync(join(h.stateDir, 'hub', 'ports.json'), 'utf8'), ports, 'on the same ports');
  assert.match(h.logs(), /the embedded hub exited; starting it again on the same ports/);
});
