/**
 * bench:egress — events/s from egress through the leaf, the hub and verification into Postgres, and
 * the cost of signing per batch size. Real processes on loopback: a hub nats-server, the control
 * plane (in this process, against that hub), a tenant's customer plane (in this process, with its
 * own leaf nats-server), a fresh Postgres database. Not part of `npm test`.
 *
 *   npm run bench:egress -- [--events 40000]     (egress batches are its default ≤500 events)
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { newUlid } from '../shared/ids.ts';
import { generateTenantKey, importTenantKey, signBatch } from '../shared/signing.ts';
import { checkEvent, type OtelPoint } from '../shared/boundary.ts';
import { createTestDatabase } from '../scripts/topology/scratch-database.ts';
import {
  bounded,
  createTenant,
  operatorIssuer,
  startControlInProcess,
  startCustomerInProcess,
  startTestHub,
  storedCounts,
  tempDir,
  waitFor,
} from '../scripts/topology/boundary-rig.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '40000' } } });
const TOTAL = Number(values.events);

const point = (i: number): OtelPoint => ({
  eventId: newUlid(),
  metric: 'step.duration_ms',
  kind: 'histogram',
  at: Date.now(),
  value: i,
  count: 1,
  agent: 'reviewer',
  status: 'succeeded',
});

async function signingCost(): Promise<void> {
  const key = await importTenantKey((await generateTenantKey()).privateJwk);
  console.log('\nsigning cost (Ed25519 JWS over canonical JSON), per batch size:');
  console.log('  events/batch   ms/batch   µs/event   checkEvent µs/event');
  for (const size of [1, 10, 100, 500, 1000]) {
    const events = Array.from({ length: size }, (_, i) => point(i));
    const rounds = Math.max(5, Math.floor(2000 / size));
    let seq = 1;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++)
      await signBatch(
        { tenant: '00000000-0000-4000-8000-000000000001', seq: seq++, iat: Math.floor(Date.now() / 1000), kind: 'otel', events },
        key,
      );
    const ms = (performance.now() - t0) / rounds;
    const t1 = performance.now();
    for (let r = 0; r < rounds; r++) for (const e of events) checkEvent('otel', e);
    const checkUs = ((performance.now() - t1) * 1000) / (rounds * size);
    console.log(
      `  ${String(size).padStart(12)} ${ms.toFixed(3).padStart(10)} ${((ms * 1000) / size).toFixed(2).padStart(10)} ${checkUs.toFixed(2).padStart(20)}`,
    );
  }
}

async function endToEnd(): Promise<void> {
  const dir = tempDir('bench-egress');
  const db = await createTestDatabase('bench_egress');
  const hub = await startTestHub(join(dir.path, 'hub'));
  const { keysJson, operatorToken } = await operatorIssuer();
  let control: Awaited<ReturnType<typeof startControlInProcess>> | undefined;
  let customer: Awaited<ReturnType<typeof startCustomerInProcess>> | undefined;
  try {
    control = await startControlInProcess({ databaseUrl: db.url, hub, stateDir: join(dir.path, 'cp'), keysJson });
    const { tenant, enrollToken } = await createTenant(control.url, await operatorToken());
    customer = await startCustomerInProcess({ apiUrl: control.url, tenant, enrollToken, stateDir: join(dir.path, 'customer') });
    const egress = customer.plane.egress;
    // Warm-up (JIT, connections, consumer creation), not measured.
    for (let i = 0; i < 1000; i++) egress.emit('otel', point(i));
    await egress.flush();
    await waitFor('warm-up stored', async () => ((await storedCounts(db.url, tenant)).events >= 1000 ? true : undefined), 60_000, 50);

    const t0 = performance.now();
    for (let i = 0; i < TOTAL; i++) {
      egress.emit('otel', point(i));
      if (i % 5000 === 4999) await egress.flush();
    }
    await egress.flush();
    const tOutbox = performance.now();
    await waitFor('all stored', async () => ((await storedCounts(db.url, tenant)).events >= TOTAL + 1000 ? true : undefined), 300_000, 50);
    const tStored = performance.now();
    const s = (tStored - t0) / 1000;
    console.log(`\nend to end: ${TOTAL} otel events (batches of ≤500) emit → outbox → leaf → hub → verify → Postgres`);
    console.log(`  into the local outbox (validated, signed): ${((TOTAL / (tOutbox - t0)) * 1000).toFixed(0)} events/s`);
    console.log(`  stored in Postgres, end to end:           ${(TOTAL / s).toFixed(0)} events/s  (${s.toFixed(2)} s)`);
  } finally {
    await bounded(customer?.stop());
    await bounded(control?.stop());
    await hub.stop().catch(() => {});
    await db.drop();
    dir.remove();
  }
}

await signingCost();
await endToEnd();
