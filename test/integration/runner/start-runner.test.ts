import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Dispatch } from '../../../shared/dispatch.ts';
import { newUlid } from '../../../shared/ids.ts';
import { createRunLedger } from '../../../customer-plane/runner/ledger/runs.ts';
import { type RunnerOptions, startRunner } from '../../../customer-plane/runner/worker.ts';
import { createWorkQueue, ensureWorkQueue, WORK_DLQ_SUBJECT, WORK_STREAM } from '../../../customer-plane/runner/work-queue.ts';
import { localJetStream } from '../../support/jetstream.ts';
import { dispatchFor, ledgerDatabase } from '../../support/ledger.ts';
import { fakeLog } from '../../support/step-toolbox.ts';

/**
 * The runner as it starts in a customer plane, on a private nats-server and a scratch ledger: dead
 * runs' workspaces removed first, queued work run (here refused by an environment the plane lacks:
 * the quickest real outcome) and acked, runs in parallel, and work that cannot be delivered again
 * ending its run `delivery_exhausted` in the dead-letter stream.
 */

async function until(what: string, probe: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rig(t: Parameters<typeof localJetStream>[0], o: Partial<RunnerOptions> = {}) {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const { db } = await ledgerDatabase(t);
  const workspaceDir = await mkdtemp(join(tmpdir(), 'ap-runner-'));
  t.after(() => rm(workspaceDir, { recursive: true, force: true }));
  const real = createRunLedger(db);
  const opened: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const ledger = {
    ...real,
    async openRun(...a: Parameters<typeof real.openRun>) {
      opened.push(a[0].workflowId);
      await gate;
      return real.openRun(...a);
    },
  };
  const opts = {
    nc,
    db,
    ledger,
    log: fakeLog().log,
    clock: () => Date.now(),
    events: { emit: () => {}, flush: async () => {} },
    templates: {},
    catalog: {},
    repos: {},
    environments: { getEnvironment: () => undefined },
    broker: {},
    workspaceDir,
    maxParallelSteps: 1,
    ackWaitMs: 2000,
    ...o,
  } as unknown as RunnerOptions & { log: RunnerOptions['log'] };
  return { nc, real, opened, open, opts, workspaceDir };
}

const outcome = async (ledger: ReturnType<typeof createRunLedger>, d: Dispatch) => {
  const r = await ledger.getRun(d.workflowId);
  return r && [r.run.status, r.run.errorCode];
};

const messages = async (nc: NatsConnection, stream: string) => (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;

test('a runner removes dead runs’ workspaces before it takes work, runs two at once, acks what it ran and stops only after its runs', async (t) => {
  const r = await rig(t);
  const dead = newUlid();
  await mkdir(join(r.workspaceDir, dead, 'tree'), { recursive: true });
  const runner = await startRunner(r.opts);
  assert.deepEqual(await readdir(r.workspaceDir), [], 'removed before any work is taken');
  const info = await (await jetstreamManager(r.nc)).consumers.info(WORK_STREAM, 'runner');
  assert.deepEqual([info.config.max_deliver, info.config.ack_wait], [3, 2000 * 1_000_000]);

  const queue = createWorkQueue(r.nc);
  const ds = [dispatchFor(), dispatchFor(), dispatchFor()];
  for (const d of ds) await queue.enqueue(d.workflowId, new TextEncoder().encode(JSON.stringify(d)));
  await until('two runs at once', () => r.opened.length === 2);
  // Stopping waits for the runs in progress: they finish before stop() returns.
  const stopped = runner.stop();
  r.open();
  await stopped;
  for (const id of r.opened) {
    const d = ds.find((x) => x.workflowId === id)!;
    assert.deepEqual(await outcome(r.real, d), ['failed', 'unknown_environment']);
  }
  assert.equal(await messages(r.nc, WORK_STREAM), ds.length - r.opened.length, 'what ran was acked');
});

test('work that fails on its last delivery is ended delivery_exhausted and dead-lettered by the runner itself, before any max-deliveries advisory', async (t) => {
  // A long ack wait keeps the other way in out of reach: the server announces MAX_DELIVERIES only when it
  // would redeliver, after the ack wait, and the exhausted mover would then end the run and move the work
  // too (on the test's nats-server 2.9 the worker's `term` with a reason is not understood, so the message
  // stays pending until then). Everything asserted here must come from the worker's own dead-letter.
  const r = await rig(t, { maxDeliver: 1, ackWaitMs: 60_000 });
  r.opts.ledger.openRun = async () => Promise.reject(new Error('the ledger broke mid-run'));
  const runner = await startRunner(r.opts);
  t.after(() => runner.stop());
  const d = dispatchFor();
  await createWorkQueue(r.nc).enqueue(d.workflowId, new TextEncoder().encode(JSON.stringify(d)));
  await until('the run ended', async () => (await outcome(r.real, d))?.[0] === 'failed', 5000);
  assert.deepEqual(await outcome(r.real, d), ['failed', 'delivery_exhausted']);
  await until('the dead letter', async () => (await messages(r.nc, 'AP_WORK_DLQ')) === 1, 5000);
  const dead = await (await jetstreamManager(r.nc)).streams.getMessage('AP_WORK_DLQ', { seq: 1 });
  assert.equal(dead!.subject, WORK_DLQ_SUBJECT);
  assert.deepEqual(JSON.parse(dead!.string()), d);
  // The worker's headers: the mover's copy would also name the consumer that gave up.
  const h = dead!.header!;
  assert.deepEqual(
    ['Ap-Dlq-Reason', 'Ap-Dlq-Stream', 'Ap-Dlq-Deliveries', 'Ap-Dlq-Consumer'].map((k) => h.get(k)),
    ['max_deliveries', WORK_STREAM, '1', ''],
  );
});

test('malformed work is dead-lettered as malformed_work at once, with no run made for it', async (t) => {
  // As above, a long ack wait keeps the exhausted mover out: the dead letter must be the worker's.
  const r = await rig(t, { ackWaitMs: 60_000 });
  const runner = await startRunner(r.opts);
  t.after(() => runner.stop());
  const id = newUlid();
  await createWorkQueue(r.nc).enqueue(id, new TextEncoder().encode('not a dispatch'));
  await until('the dead letter', async () => (await messages(r.nc, 'AP_WORK_DLQ')) === 1, 5000);
  const dead = await (await jetstreamManager(r.nc)).streams.getMessage('AP_WORK_DLQ', { seq: 1 });
  assert.equal(dead!.string(), 'not a dispatch');
  assert.deepEqual(
    ['Ap-Dlq-Reason', 'Ap-Dlq-Deliveries'].map((k) => dead!.header!.get(k)),
    ['malformed_work', '1'],
  );
  assert.equal(await r.real.getRun(id), undefined, 'no run is recorded for work that is not a dispatch');
});
