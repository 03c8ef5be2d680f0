import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTenant, enrollDirect, startControlChild } from '../../scripts/topology/boundary-rig.ts';
import type { PlaneProcess } from '../../scripts/topology/plane-process.ts';
import { hubRig } from '../support/hub-rig.ts';

const ROUNDS = 10;
const RELOADS_PER_ROUND = 3;

/**
 * Control-plane replicas share one hub (and one database). Every enrollment rewrites the hub's
 * accounts and reloads it; for a moment the login can be refused and JetStream answers "not
 * enabled" for the account. A replica starting in that moment must ride it out, not exit.
 */
test(`two replicas sharing one hub start ${ROUNDS} times, while enrollments on a third reload the hub, without a failed start`, async (t) => {
  const { defer, dir, db, hub, keysJson, operatorToken } = await hubRig(t, 'replicas', 30_000);
  const start = (name: string) => startControlChild({ databaseUrl: db.url, hub, stateDir: join(dir.path, name), keysJson });
  const stable = await start('stable');
  defer(() => stable.stop());
  const api = String(stable.ready.url);
  const op = await operatorToken();

  let starts = 0;
  let enrollments = 0;
  const failures: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const tenants = await Promise.all(Array.from({ length: RELOADS_PER_ROUND }, (_, i) => createTenant(api, op, `r${round}-${i}`)));
    const replicas = [start(`r${round}-1`), start(`r${round}-2`)];
    // Enrollments land one after another while the replicas connect and set up their streams and
    // consumers (each start takes about a second here).
    const enrolled = (async () => {
      for (const x of tenants) {
        await sleep(150);
        await enrollDirect(api, x.enrollToken);
        enrollments += 1;
      }
    })();
    const settled = await Promise.allSettled(replicas);
    await enrolled;
    for (const r of settled) {
      starts += 1;
      if (r.status === 'rejected') failures.push(`round ${round}: ${String(r.reason).slice(0, 500)}`);
    }
    const up = settled.filter((r): r is PromiseFulfilledResult<PlaneProcess> => r.status === 'fulfilled').map((r) => r.value);
    for (const replica of up) {
      const ready = await fetch(`${String(replica.ready.url)}/readyz`);
      if (ready.status !== 200) failures.push(`round ${round}: a started replica is not ready (${ready.status})`);
    }
    await Promise.all(up.map((r) => r.stop()));
  }
  t.diagnostic(
    `${ROUNDS} rounds: ${starts} replica starts, ${failures.length} failed, ${enrollments} enrollments reloading the hub meanwhile`,
  );
  assert.deepEqual(failures, []);
  assert.equal(starts, ROUNDS * 2);
});
