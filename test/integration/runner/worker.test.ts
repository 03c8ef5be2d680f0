import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import type { Dispatch } from '../../../shared/dispatch.ts';
import { newUlid, ULID_RE } from '../../../shared/ids.ts';
import { REQUEST_ID_HEADER } from '../../../shared/request-id.ts';
import { PermanentError } from '../../../shared/worker-errors.ts';
import { isRunLocked, tryLockRun } from '../../../customer-plane/runner/ledger/lock.ts';
import { createRunLedger } from '../../../customer-plane/runner/ledger/runs.ts';
import { createHandlers, removeLeftoverWorkspaces, type RunnerOptions } from '../../../customer-plane/runner/worker.ts';
import { dispatchFor, ledgerDatabase, TWO_STEPS } from '../../support/ledger.ts';
import { fakeLog } from '../../support/step-toolbox.ts';

/**
 * Direct tests of the runner's handlers on a scratch ledger database: one run per runner (the run
 * lock), heartbeats to JetStream and reports to the control plane while a run executes (a mock
 * clock), the exhausted run's end, and the removal of dead runs' workspaces.
 */

const NOW = Date.UTC(2026, 11, 2, 10, 0, 0);

/** One scratch database for the file (runs have their own ids): creating one per test costs seconds. */
let scratch: Awaited<ReturnType<typeof ledgerDatabase>>;
const cleanups: Array<() => unknown> = [];
before(async () => {
  scratch = await ledgerDatabase({ after: (fn) => void cleanups.push(fn) });
});
after(async () => {
  for (const fn of cleanups) await fn();
});

/** A work message as JetStream hands it to the handler; `working` counts the heartbeats. */
function workMsg(d: Dispatch | string, requestId?: string) {
  const beats = { working: 0 };
  const msg = {
    data: new TextEncoder().encode(typeof d === 'string' ? d : JSON.stringify(d)),
    headers: requestId === undefined ? undefined : { get: (k: string) => (k === REQUEST_ID_HEADER.nats ? requestId : '') },
    working: () => void (beats.working += 1),
  };
  return { msg: msg as unknown as JsMsg, beats };
}

/**
 * Handlers whose run blocks in its first ledger call until the test lets it go (then it fails, as a
 * ledger outage would): what runs between is the worker's, not the workflow's.
 */
function handlers(o: Partial<RunnerOptions> = {}) {
  const { db, connect } = scratch;
  const opened: Array<{ d: Dispatch; opts: unknown }> = [];
  const events: Array<[string, unknown]> = [];
  let entered!: () => void;
  let release!: (err: Error) => void;
  const running = new Promise<void>((r) => (entered = r));
  const blocked = new Promise<never>((_, rej) => (release = rej));
  blocked.catch(() => {});
  const { log, lines } = fakeLog();
  const children: unknown[] = [];
  (log as { child: unknown }).child = (b: unknown) => (children.push(b), log);
  const ledger = {
    async openRun(d: Dispatch, opts: unknown) {
      opened.push({ d, opts });
      entered();
      return blocked;
    },
  };
  const h = createHandlers({
    db,
    ledger,
    log,
    clock: () => NOW,
    events: { emit: (k: string, e: unknown) => void events.push([k, e]), flush: async () => {} },
    templates: {},
    ...o,
  } as unknown as RunnerOptions);
  /** Resolves when the run reached the workflow; fails at once if runOne ended without getting there. */
  const started = (done: Promise<unknown>) =>
    Promise.race([running, done.then(() => assert.fail('runOne ended without running the workflow'))]);
  return { h, db, connect, opened, events, started, release, lines, children };
}

test('while a run executes its runner holds the run lock, heartbeats within the ack wait and reports the workflow; all stop with the run', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  const r = handlers({ ackWaitMs: 900, reportIntervalMs: 5000 });
  const d = dispatchFor();
  const { msg, beats } = workMsg(d);
  const done = r.h.runOne(msg);
  await r.started(done);
  const other = r.connect();
  assert.equal(await isRunLocked(other, d.workflowId), true, 'another runner sees the run held');
  mock.timers.tick(299);
  assert.equal(beats.working, 0);
  mock.timers.tick(1);
  assert.equal(beats.working, 1, 'a heartbeat every third of the ack wait');
  mock.timers.tick(4700);
  assert.equal(beats.working, 16);
  assert.deepEqual(r.events, [
    [
      'meta',
      { type: 'workflow.heartbeat', eventId: (r.events[0]?.[1] as { eventId: string })?.eventId, workflowId: d.workflowId, at: NOW },
    ],
  ]);
  assert.match((r.events[0][1] as { eventId: string }).eventId, ULID_RE);
  mock.timers.tick(5000);
  assert.equal(r.events.length, 2);
  assert.notEqual((r.events[0][1] as { eventId: string }).eventId, (r.events[1][1] as { eventId: string }).eventId);

  const outage = new Error('ledger down');
  r.release(outage);
  await assert.rejects(done, (e: unknown) => e === outage);
  mock.timers.tick(60_000);
  assert.equal(beats.working, 33, 'no heartbeat after the run');
  assert.equal(r.events.length, 2, 'no report after the run');
  assert.equal(await isRunLocked(other, d.workflowId), false, 'the lock is released when the run ends');
});

test('heartbeats are never more often than every 200 ms; without settings every 10 s (ack wait 30 s) and reports every minute', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  const fast = handlers({ ackWaitMs: 300 });
  const a = workMsg(dispatchFor());
  const doneA = fast.h.runOne(a.msg);
  await fast.started(doneA);
  mock.timers.tick(199);
  assert.equal(a.beats.working, 0);
  mock.timers.tick(1);
  assert.equal(a.beats.working, 1);
  fast.release(new Error('stop'));
  await assert.rejects(doneA);

  const defaults = handlers();
  const b = workMsg(dispatchFor());
  const doneB = defaults.h.runOne(b.msg);
  await defaults.started(doneB);
  mock.timers.tick(9_999);
  assert.equal(b.beats.working, 0);
  mock.timers.tick(1);
  assert.equal(b.beats.working, 1);
  mock.timers.tick(49_999);
  assert.equal(defaults.events.length, 0);
  mock.timers.tick(1);
  assert.equal(defaults.events.length, 1);
  defaults.release(new Error('stop'));
  await assert.rejects(doneB);
});

test('a run another runner holds is not run here: the work comes back after the ack wait', async () => {
  const r = handlers({ ackWaitMs: 4321 });
  const d = dispatchFor();
  const holder = await tryLockRun(r.connect(), d.workflowId);
  assert.ok(holder);
  assert.deepEqual(await r.h.runOne(workMsg(d).msg), { retryInMs: 4321 });
  assert.deepEqual(r.opened, []);
  await holder.release();

  // Two deliveries of the same run to one runner process: the second waits for the first.
  const first = r.h.runOne(workMsg(d).msg);
  await r.started(first);
  assert.deepEqual(await r.h.runOne(workMsg(d).msg), { retryInMs: 4321 });
  assert.equal(r.opened.length, 1);
  r.release(new Error('stop'));
  await assert.rejects(first);

  const defaults = handlers();
  const held = await tryLockRun(defaults.connect(), d.workflowId);
  assert.deepEqual(await defaults.h.runOne(workMsg(d).msg), { retryInMs: 30_000 });
  await held!.release();
});

test('malformed work is a permanent failure, never run', async () => {
  const r = handlers();
  for (const body of ['not json', JSON.stringify({ workflowId: 'x' })])
    await assert.rejects(
      r.h.runOne(workMsg(body).msg),
      (e: unknown) => e instanceof PermanentError && e.code === 'malformed_work' && e.message === 'queued work is not a valid dispatch',
    );
  assert.deepEqual(r.opened, []);
});

test('the dispatch’s request id reaches the run and its log lines; an empty header is none', async () => {
  const r = handlers();
  const d = dispatchFor();
  const run = r.h.runOne(workMsg(d, 'req-123').msg);
  await r.started(run);
  r.release(new Error('stop'));
  await assert.rejects(run);
  assert.deepEqual(r.opened[0].d, d);
  assert.deepEqual(r.opened[0].opts, { requestId: 'req-123', steps: undefined });
  assert.deepEqual(r.children[0], { reqId: 'req-123' });

  const s = handlers();
  const run2 = s.h.runOne(workMsg(dispatchFor(), '').msg);
  await s.started(run2);
  s.release(new Error('stop'));
  await assert.rejects(run2);
  assert.deepEqual(s.opened[0].opts, { requestId: undefined, steps: undefined });
  assert.deepEqual(s.children[0], { reqId: undefined });
});

test('work that can no longer be delivered ends its run failed with delivery_exhausted and removes its workspace', async (t) => {
  const { db } = scratch;
  const workspaceDir = await mkdtemp(join(tmpdir(), 'ap-worker-'));
  t.after(() => rm(workspaceDir, { recursive: true, force: true }));
  const d = dispatchFor();
  await mkdir(join(workspaceDir, d.workflowId, 'tree'), { recursive: true });
  await mkdir(join(workspaceDir, 'other-run'));
  const events: unknown[] = [];
  const ledger = createRunLedger(db);
  const h = createHandlers({
    db,
    ledger,
    log: fakeLog().log,
    clock: () => NOW,
    workspaceDir,
    broker: {},
    events: { emit: (_k: string, e: unknown) => void events.push(e), flush: async () => {} },
  } as unknown as RunnerOptions);
  // A run that never started on any runner (its record is made now) ...
  await h.exhausted(d);
  const { run } = (await ledger.getRun(d.workflowId))!;
  assert.deepEqual([run.status, run.errorCode], ['failed', 'delivery_exhausted']);
  assert.deepEqual(await readdir(workspaceDir), ['other-run']);
  assert.deepEqual(
    events.map((e) => [(e as { type: string }).type, (e as { status?: string }).status]),
    [['workflow.finished', 'failed']],
  );
  // ... and one whose runner died mid-step: the running step fails with the run, the rest is skipped.
  const mid = dispatchFor();
  const opened = await ledger.openRun(mid, { steps: TWO_STEPS });
  await ledger.startStep(opened.steps[0].id, null);
  await h.exhausted(mid);
  const after = (await ledger.getRun(mid.workflowId))!;
  assert.deepEqual([after.run.status, after.run.errorCode], ['failed', 'delivery_exhausted']);
  assert.deepEqual(
    after.steps.map((s) => [s.stepKey, s.status, s.errorCode]),
    [
      ['index', 'failed', 'delivery_exhausted'],
      ['review', 'skipped', 'dependency_failed'],
    ],
  );
});

test('the end of a run that can no longer be delivered is logged under its workflow id', async (t) => {
  const { db } = scratch;
  const workspaceDir = await mkdtemp(join(tmpdir(), 'ap-worker-'));
  t.after(() => rm(workspaceDir, { recursive: true, force: true }));
  // A child logger adds its bindings to every line, as the real one does: operators find a run's lines by its id.
  const { log, lines } = fakeLog();
  const bound = (fields: object) => ({
    ...log,
    info: (obj: object, msg?: unknown) => void lines.push({ level: 'info', obj: { ...fields, ...obj }, msg }),
  });
  (log as { child: unknown }).child = bound;
  const d = dispatchFor();
  const h = createHandlers({
    db,
    ledger: createRunLedger(db),
    log,
    clock: () => NOW,
    workspaceDir,
    broker: {},
    events: { emit: () => {}, flush: async () => {} },
  } as unknown as RunnerOptions);
  await h.exhausted(d);
  assert.deepEqual(lines, [
    {
      level: 'info',
      obj: { workflowId: d.workflowId, status: 'failed', errorCode: 'delivery_exhausted', steps: 0 },
      msg: 'workflow finished',
    },
  ]);
});

test('a runner starting beside another on one workspace folder starts even when the other removed a dead run’s workspace first', async (t) => {
  const workspaceDir = await mkdtemp(join(tmpdir(), 'ap-worker-'));
  t.after(() => rm(workspaceDir, { recursive: true, force: true }));
  const dead = newUlid();
  await mkdir(join(workspaceDir, dead, 'tree'), { recursive: true });
  // The other runner removes it while this one asks the ledger whether the run is held.
  const db = {
    async connect() {
      await rm(join(workspaceDir, dead), { recursive: true });
      return scratch.db.connect();
    },
  } as unknown as RunnerOptions['db'];
  assert.equal(await removeLeftoverWorkspaces({ db, workspaceDir, log: fakeLog().log }), 1);
  assert.deepEqual(await readdir(workspaceDir), []);
});

test('at start, workspaces of runs no live runner holds are removed; a held run keeps its workspace', async (t) => {
  const { db, connect } = scratch;
  const workspaceDir = await mkdtemp(join(tmpdir(), 'ap-worker-'));
  t.after(() => rm(workspaceDir, { recursive: true, force: true }));
  const [live, dead] = [newUlid(), newUlid()];
  for (const name of [live, dead, 'not-a-run']) {
    await mkdir(join(workspaceDir, name, 'tree'), { recursive: true });
    await writeFile(join(workspaceDir, name, 'tree', 'code.ts'), 'the customer’s code');
  }
  const holder = await tryLockRun(connect(), live);
  const { log, lines } = fakeLog();
  assert.equal(await removeLeftoverWorkspaces({ db, workspaceDir, log }), 2);
  assert.deepEqual(await readdir(workspaceDir), [live]);
  assert.deepEqual(lines, [{ level: 'info', obj: { removed: 2 }, msg: 'removed workspaces of runs that are no longer running' }]);
  await holder!.release();

  lines.length = 0;
  assert.equal(await removeLeftoverWorkspaces({ db, workspaceDir, log }), 1);
  assert.deepEqual(await readdir(workspaceDir), []);
  lines.length = 0;
  assert.equal(await removeLeftoverWorkspaces({ db, workspaceDir, log }), 0);
  assert.deepEqual(lines, [], 'nothing removed, nothing logged');
  assert.equal(await removeLeftoverWorkspaces({ db, workspaceDir: join(workspaceDir, 'missing'), log }), 0);
});
