import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { freePort, startNatsServer } from '../../shared/nats-server-process.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createWorkQueue, ensureWorkQueue } from '../../customer-plane/runner/work-queue.ts';
import { query, ROOT, tempDir, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * Runners as real processes sharing one JetStream work queue and one Postgres ledger; runners are
 * killed with SIGKILL mid-workflow. Every command the test agents run is appended to a log by the
 * (test-only) command runner, so "ran twice" is counted, not inferred.
 */
const TENANT = '00000000-0000-4000-8000-0000000000cc';
type Runner = { name: string; child: ChildProcess; kill9(): Promise<void>; stop(): Promise<void> };

async function setup(t: { after(fn: () => Promise<void> | void): void }, env: Record<string, string>) {
  const dir = tempDir('crash');
  const db = await createTestDatabase('crash');
  const port = await freePort();
  const conf = join(dir.path, 'nats.conf');
  writeFileSync(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir.path, 'js')}" }\n`);
  const nats = await startNatsServer({ configPath: conf, port });
  const runners: Runner[] = [];
  t.after(async () => {
    for (const r of runners) await r.stop();
    await nats.stop();
    await db.drop();
    dir.remove();
  });
  await migrateLedger({ databaseUrl: db.url, log: silentLogger() });
  const repo = join(dir.path, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'README.md'), '# crash test\n');
  const execLog = join(dir.path, 'exec.log');
  const eventsFile = join(dir.path, 'events.jsonl');
  writeFileSync(execLog, '');
  writeFileSync(eventsFile, '');
  const natsUrl = `nats://127.0.0.1:${port}`;

  async function startRunner(name: string, workspaceDir = join(dir.path, `ws-${name}`)): Promise<Runner> {
    mkdirSync(workspaceDir, { recursive: true });
    const child = spawn(process.execPath, [join(ROOT, 'test/faults/support/runner-child.ts')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RUNNER_NAME: name,
        NATS_URL: natsUrl,
        DATABASE_URL: db.url,
        TENANT_ID: TENANT,
        REPO_DIR: repo,
        WORKSPACE_DIR: workspaceDir,
        EXEC_LOG: execLog,
        EVENTS_FILE: eventsFile,
        ...env,
      },
    });
    let out = '';
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner ${name} not ready: ${out}`)), 20_000);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('"event":"ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`runner ${name} exited: ${out}`)));
    });
    const r: Runner = {
      name,
      child,
      async kill9() {
        child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
    runners.push(r);
    return r;
  }

  async function enqueue(workflowId: string): Promise<void> {
    const nc = await connect({ servers: natsUrl });
    await ensureWorkQueue(nc);
    const d = { workflowId, tenant: TENANT, template: 'refactor', repo: 'sample', requestedAt: Date.now() };
    await createWorkQueue(nc).enqueue(workflowId, new TextEncoder().encode(JSON.stringify(d)));
    await nc.close();
  }

  const executions = () => readFileSync(execLog, 'utf8').split('\n').filter(Boolean);
  const events = () =>
    readFileSync(eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).event);
  const runStatus = async (id: string) =>
    (
      await query<{ status: string; error_code: string; attempts: number }>(
        db.url,
        'SELECT status, error_code, attempts FROM runtime.runs WHERE id = $1',
        [id],
      )
    )[0];
  return { dir: dir.path, db, natsUrl, startRunner, enqueue, executions, events, runStatus };
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

  const run = await waitFor(
    'the run to finish on the other runner',
    async () => {
      const r = await rig.runStatus(id);
      return r && r.status !== 'running' ? r : undefined;
    },
    60_000,
  );
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
  const run = await waitFor(
    'the run to finish',
    async () => {
      const r = await rig.runStatus(id);
      return r && r.status !== 'running' ? r : undefined;
    },
    60_000,
  );
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
  const run = await waitFor(
    'the run to be given up',
    async () => {
      const r = await rig.runStatus(id);
      return r && r.status !== 'running' ? r : undefined;
    },
    60_000,
  );
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
