import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { newUlid } from '../../../shared/ids.ts';
import { STREAMS } from '../../../control-plane/hub/streams.ts';
import { startPlaneProcess, type PlaneProcess } from '../../../scripts/topology/plane-process.ts';
import { createTenant, query, ROOT, startCustomerInProcess, storedCounts, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { hubRig } from '../../support/hub-rig.ts';
import { usageEvent } from '../../support/usage-event.ts';

const TOTAL = 10_000;

test('kill -9 of the control-plane ingest consumer mid-batch: after restart every event is stored once, nothing lost, nothing double-counted', async (t) => {
  const { defer, dir, db, hub, keysJson, operatorToken } = await hubRig(t, 'consumercrash');
  const startControl = (onLine?: (line: string) => void) =>
    startPlaneProcess({
      script: join(ROOT, 'control-plane/main.ts'),
      readyEvent: 'listening',
      echo: onLine,
      env: {
        DATABASE_URL: db.url,
        CONTROL_PLANE_TOKEN_KEYS: keysJson,
        PORT: '0',
        STATE_DIR: join(dir.path, 'cp'),
        LOG_LEVEL: 'debug',
        ...hub.env,
      },
    }).then((p) => (defer(() => p.stop()), p));
  let first: PlaneProcess | undefined;
  let killedAtLine = false;
  // The first control plane is killed -9 the moment it logs its first stored batch: the other
  // deliveries it holds are mid-transaction or unacked.
  first = await startControl((line) => {
    if (!killedAtLine && first && line.includes('up batch ingested')) {
      killedAtLine = true;
      first.child.kill('SIGKILL');
    }
  });
  const apiUrl = String(first.ready.url);
  const { tenant, enrollToken } = await createTenant(apiUrl, await operatorToken());
  const customer = await startCustomerInProcess({ apiUrl, tenant, enrollToken, stateDir: join(dir.path, 'customer') });
  defer(() => customer.stop());

  const ids: string[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const eventId = newUlid();
    ids.push(eventId);
    customer.plane.egress.emit('usage', usageEvent({ eventId, day: '2026-01-01', inputTokens: i }));
  }
  await customer.plane.egress.flush();
  const exitCode = await waitFor(
    'the consumer to be killed',
    () => (first!.child.exitCode !== null || first!.child.signalCode !== null ? true : undefined),
    60_000,
    20,
  );
  assert.ok(exitCode);
  assert.equal(first.child.signalCode, 'SIGKILL');
  const atKill = await storedCounts(db.url, tenant);
  assert.ok(atKill.events < TOTAL, 'killed mid-stream: not everything was stored yet');

  await startControl();
  const final = await waitFor(
    'all stored',
    async () => {
      const c = await storedCounts(db.url, tenant);
      return c.events >= TOTAL ? c : undefined;
    },
    90_000,
    250,
  );
  assert.equal(final.events, TOTAL, 'nothing lost, nothing stored twice');
  assert.equal(final.batchEvents, TOTAL, 'no batch counted twice');
  const [sum] = await query<{ s: string; n: string }>(
    db.url,
    "SELECT sum((body->>'inputTokens')::bigint) AS s, count(DISTINCT event_id) AS n FROM up_events WHERE tenant_id = $1 AND event_id = ANY($2::text[])",
    [tenant, ids],
  );
  assert.equal(Number(sum.n), TOTAL);
  assert.equal(Number(sum.s), (TOTAL * (TOTAL - 1)) / 2, 'the usage totals add up exactly');
  const nc = await hub.connectControl();
  defer(() => nc.close());
  const jsm = await jetstreamManager(nc);
  assert.equal((await jsm.streams.info(STREAMS.dlq.name)).state.messages, 0, 'redeliveries were duplicates, not rejections');
});
