import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { newUlid } from '../../shared/ids.ts';
import { query, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { crashRig } from './support/crash-rig.ts';

/**
 * Runners as real processes sharing one JetStream work queue and one Postgres ledger; runners are
 * killed with SIGKILL mid-workflow. Every command the test agents run is appended to a log by the
 * (test-only) command runner, so "ran twice" is counted, not inferred.
 */
const TENANT = '00000000-0000-4000-8000-0000000000cc';

async function setup(t: { after(fn: () => Promise<void> | void): void }, env: Record<string, string>) {
  const rig = await crashRig(t, { name: 'crash', tenant: TENANT, readme: '# crash test\n', endRunners: 'stop' });
  const eventsFile = join(rig.dir, 'events.jsonl');
  writeFileSync(eventsFile, '');

  /** A runner of the test agents (their pace and effects set by `env`), its events appended to `eventsFile`. */
  const startRunner = (name: string, workspaceDir?: string) =>
    rig.startRunnerProcess('test/faults/support/runner-child.ts', name, {
      env: { EVENTS_FILE: eventsFile, ...env },
      workspaceDir,
      readyMs: 20_000,
    });

  const executions = () => readFileSync(rig.execLog, 'utf8').split('\n').filter(Boolean);
  const events = () =>
    readFileSync(eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).event);
  return { dir: rig.dir, db: rig.db, natsUrl: rig.natsUrl, startRunner, enqueue: rig.enqueue, finished: rig.finished, executions, events };
}

test('kill -9 of the runner mid-workflow: another runner resumes from the last completed step, no effect runs twice, and the dead runner’s workspace is removed when it restarts', async (t) => {
  const rig = await setup(t, { ACK_WAIT_MS: '2000', STEP_SLEEP_MS: '700', A_EFFECTS: '1', B_EFFECTS: '4', C_EFFECTS: '2' });
  const one = await rig.startRunner('one');
  const two = await rig.startRunner('two');
  const id = newUlid();
  await rig.enqueue(id);
  // Wait until the second step has run two of its four commands (each is committed before its pause).
  await waitFor(
    'two committed commands in the second step',
    async () => {
      const [row] = await query<{ n: number }>(
        rig.db.url,
        `SELECT count(*)::int AS n FROM runtime.effects e JOIN runtime.steps s ON s.id = e.step_id
         WHERE s.run_id = $1 AND s.step_key = 'second' AND e.tool = 'run_command' AND e.status = 'committed'`,
        [id],
      );
      return (row?.n ?? 0) >= 2;
    },
    30_000,
    25,
  );
  const victim = rig.executions()[0].startsWith('one ') ? one : two;
  const survivor = victim === one ? two : one;
  await victim.kill9();

  const run = await rig.finished(id, 'the run to finish on the other runner');
  assert.deepEqual([run.status, run.error_code, run.attempts], ['succeeded', 'none', 2]);

  const lines = rig.executions();
  const counts = new Map<string, string[]>();
  for (const l of lines) {
    const [who, , file] = l.split(' ');
    counts.set(file, [...(counts.get(file) ?? []), who]);
  }
  const expected = ['a1.txt', 'b1.txt', 'b2.txt', 'b3.txt', 'b4.txt', 'c1.txt', 'c2.txt'];
  assert.deepEqual([...counts.keys()].sort(), expected);
  for (const [file, who] of counts) assert.equal(who.length, 1, `${file} ran ${who.length} times (${who.join(', ')})`);
  for (const f of ['a1.txt', 'b1.txt', 'b2.txt']) assert.deepEqual(counts.get(f), [victim.name], `${f} ran before the kill`);
  for (const f of ['b3.txt', 'b4.txt', 'c1.txt', 'c2.txt'])
    assert.deepEqual(counts.get(f), [survivor.name], `${f} ran after it, on the survivor`);

  const steps = await query<{ step_key: string; attempt: number; status: string }>(
    rig.db.url,
    'SELECT step_key, attempt, status FROM runtime.steps WHERE run_id = $1 ORDER BY idx',
    [id],
  );
  assert.deepEqual(
    steps.map((s) => [s.step_key, s.status, s.attempt]),
    [
      ['first', 'succeeded', 1],
      ['second', 'succeeded', 2],
      ['third', 'succeeded', 1],
    ],
  );
  const replayed = await query<{ n: number }>(rig.db.url, 'SELECT count(*)::int AS n FROM runtime.effects WHERE run_id = $1 AND replayed', [
    id,
  ]);
  assert.equal(replayed[0].n, 4, 'the two writes and two commands of the second step were replayed from the ledger');
  const diffs = (await query<{ diff: string }>(rig.db.url, "SELECT diff FROM runtime.patches WHERE run_id = $1 AND kind = 'applied'", [id]))
    .map((p) => p.diff)
    .join('\n');
  for (const f of expected) assert.equal(diffs.split(`+++ b/${f}`).length - 1, 1, `${f} created once in the run's patches`);

  const finished = rig.events().filter((e) => e.type === 'workflow.finished');
  assert.equal(finished.length, 1);
  assert.deepEqual([finished[0].status, finished[0].errorCode], ['succeeded', 'none']);
  const stepEvents = rig.events().filter((e) => e.type === 'step.finished');
  for (const stepId of new Set(stepEvents.map((e) => e.stepId))) {
    assert.equal(
      new Set(stepEvents.filter((e) => e.stepId === stepId).map((e) => e.eventId)).size,
      1,
      'a step re-reported keeps its event id',
    );
  }

  const leftover = join(rig.dir, `ws-${victim.name}`);
  assert.deepEqual(readdirSync(leftover), [id], 'the killed runner left its workspace behind');
  await rig.startRunner(`${victim.name}-restarted`, leftover);
  assert.deepEqual(readdirSync(leftover), [], 'removed at start: no runner holds that run any more');
});

test('a step that runs longer than the ack wait is not handed to another runner while its runner heartbeats', async (t) => {
  const rig = await setup(t, { ACK_WAIT_MS: '1500', STEP_SLEEP_MS: '900', A_EFFECTS: '1', B_EFFECTS: '4', C_EFFECTS: '1' });
  await rig.startRunner('one');
  await rig.startRunner('two');
  const id = newUlid();
  await rig.enqueue(id);
  const run = await rig.finished(id, 'the run to finish');
  assert.deepEqual([run.status, run.attempts], ['succeeded', 1], 'one delivery for a ~5 s run with a 1.5 s ack wait');
  assert.equal(rig.executions().length, 6);
  assert.equal(new Set(rig.executions().map((l) => l.split(' ')[0])).size, 1, 'one runner did all of it');
});

test('a run whose runners keep dying exhausts its deliveries and ends failed with delivery_exhausted, its work in the dead-letter stream', async (t) => {
  const rig = await setup(t, { ACK_WAIT_MS: '1500', STEP_SLEEP_MS: '2000', A_EFFECTS: '2', MAX_DELIVER: '2' });
  const id = newUlid();
  await rig.enqueue(id);
  for (const name of ['one', 'two']) {
    const r = await rig.startRunner(name);
    // A runner is a fresh Node process: on a loaded 2-core machine its start alone can take tens of seconds.
    await waitFor(`${name} to start the run`, () => rig.executions().some((l) => l.startsWith(`${name} `)), 90_000, 25);
    await r.kill9();
  }
  // Nobody is left who will ever get the work again; a fresh runner hears the server's advisory.
  await rig.startRunner('three');
  const run = await rig.finished(id, 'the run to be given up');
  assert.deepEqual([run.status, run.error_code], ['failed', 'delivery_exhausted']);
  // The event is published after the status is stored: wait for it rather than read at once.
  const finished = await waitFor('the finished event', () => {
    const events = rig.events().filter((e) => e.type === 'workflow.finished');
    return events.length > 0 ? events : undefined;
  });
  assert.deepEqual(
    finished.map((e) => [e.status, e.errorCode]),
    [['failed', 'delivery_exhausted']],
  );
  const nc = await connect({ servers: rig.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    assert.equal((await jsm.streams.info('AP_WORK')).state.messages, 0, 'the work left the queue');
    const dlq = await jsm.streams.getMessage('AP_WORK_DLQ', { last_by_subj: 'ap.local.dlq.work' });
    assert.equal(JSON.parse(new TextDecoder().decode(dlq!.data)).workflowId, id);
  } finally {
    await nc.close();
  }
  assert.equal(existsSync(join(rig.dir, 'ws-three', id)), false);
});
