import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { dlqPublisher } from '../../../shared/jetstream-worker.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createMaxDeliveriesHandler } from '../../../shared/max-deliveries-mover.ts';
import { renderNatsConf } from '../../../shared/nats-conf.ts';
import { freePort, startNatsServer } from '../../../shared/nats-server-process.ts';

// A replica that builds its dead-letter handlers while a hub reload has JetStream away for a moment
// must not crash: nothing may ask the JetStream API before a handler actually runs, because a
// rejection nobody awaits ends the process (seen as a failed replica start during enrollments).
test('dead-letter handlers built while JetStream is unavailable leave no rejected promise behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-nojs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const configPath = join(dir, 'nats.conf');
  // No jetstream block: the JetStream API has no responders, as during a reload.
  writeFileSync(configPath, renderNatsConf({ listen: `127.0.0.1:${port}` }));
  const server = await startNatsServer({ configPath, port });
  t.after(() => server.stop());
  const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
  t.after(() => nc.close());

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  createMaxDeliveriesHandler({
    nc,
    log: silentLogger(),
    advisoryStream: 'AP_WORK_ADVISORIES',
    durable: 'mover',
    sources: { AP_WORK: 'ap.local.dlq.work' },
    badAdvisorySubject: () => 'ap.local.dlq.bad',
  });
  dlqPublisher(nc, () => 'ap.local.dlq.work', { removeFromSource: true });
  await nc.flush();
  await sleep(1500);
  assert.deepEqual(unhandled, []);
});
