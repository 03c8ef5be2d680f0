import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessControlPlane } from '../support/control-plane.ts';

test('readiness follows the hub: ready with Postgres and NATS up, not ready when the hub is gone, while liveness stays up', async (t) => {
  const h = await startInProcessControlPlane();
  t.after(() => h.stop());
  const ready = await fetch(`${h.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(((await ready.json()) as any).checks, { postgres: 'ok', nats: 'ok' });
  assert.ok(h.cp.embeddedHub, 'the harness runs an embedded hub');
  await h.cp.embeddedHub.stop('SIGKILL');
  const down = await fetch(`${h.url}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as any;
  assert.equal(body.checks.nats, 'failing');
  assert.equal(body.checks.postgres, 'ok');
  assert.deepEqual(body.error, { code: 'not_ready', message: 'failing: nats' }, 'the error shape of every refusal');
  assert.equal(down.headers.get('retry-after'), '5');
  assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
});
