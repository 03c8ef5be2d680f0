import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { freePort, startNatsServer } from '../../shared/nats-server-process.ts';
import { migrateApprovals } from '../../customer-plane/approvals/migrate.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createWorkQueue, ensureWorkQueue } from '../../customer-plane/runner/work-queue.ts';
import { query, ROOT, tempDir, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * The approval cycle survives kill -9 of the customer plane's runner at every point — asked, pending,
 * decided, running the effect, committed — with real processes: a nats-server work queue, Postgres,
 * runner processes (test/faults/support/approval-runner-child.ts) and `npm run approvals` as a person
 * uses it. Every execution of the approved push is logged before it starts, so duplicates are counted.
 */
const TENANT = '00000000-0000-4000-8000-0000000000dd';
const ACK_WAIT_MS = 1500;
type Runner = { child: ChildProcess; output(): string; exited: Promise<number | null>; kill9(): Promise<void> };

async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const dir = tempDir('appr-crash');
  const db = await createTestDatabase('apcrash');
  const port = await freePort();
  const conf = join(dir.path, 'nats.conf');
  writeFileSync(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir.path, 'js')}" }\n`);
  const nats = await startNatsServer({ configPath: conf, port });
  const runners: Runner[] = [];
  t.after(async () => {
    for (const r of runners) await r.kill9();
    await nats.stop();
    await db.drop();
    dir.remove();
  });
  await migrateLedger({ databaseUrl: db.url, log: silentLogger() });
  await migrateApprovals({ databaseUrl: db.url, log: silentLogger() });
  const repo = join(dir.path, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'README.md'), '# release\n');
  const execLog = join(dir.path, 'exec.log');
  writeFileSync(execLog, '');
  const natsUrl = `nats://127.0.0.1:${port}`;

  async function startRunner(name: string, crashAt = ''): Promise<Runner> {
    const workspaceDir = join(dir.path, `ws-${name}`);
    mkdirSync(workspaceDir, { recursive: true });
    const child = spawn(process.execPath, [join(ROOT, 'test/faults/support/approval-runner-child.ts')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RUNNER_NAME: name,
        CRASH_AT: crashAt,
        NATS_URL: natsUrl,
        DATABASE_URL: db.url,
        TENANT_ID: TENANT,
        REPO_DIR: repo,
        WORKSPACE_DIR: workspaceDir,
        EXEC_LOG: execLog,
        ACK_WAIT_MS: String(ACK_WAIT_MS),
      },
    });
    let out = '';
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner ${name} not ready: ${out}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        out += `${l}\n`;
        if (l.includes('"event":"ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`runner ${name} exited: ${out}`)));
    });
    const r: Runner = {
      child,
      output: () => out,
      exited,
      async kill9() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
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

  /** `npm run approvals -- <args>` against this database, as a person runs it. */
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'customer-plane/cli/approvals.ts'), ...args],
        { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const pushes = () =>
    readFileSync(execLog, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(' git push origin main'))
      .map((l) => ({ runner: l.split(' ')[0], at: Number(l.split(' ')[1]) }));
  const approvals = (runId: string) =>
    query<{ id: string; status: string; decided_at: Date | null }>(
      db.url,
      'SELECT id, status, decided_at FROM approvals.requests WHERE run_id = $1',
      [runId],
    );
  const pendingApproval = (runId: string) =>
    waitFor('the pending approval', async () => (await approvals(runId)).find((a) => a.status === 'pending'), 30_000, 25);
  const finished = (runId: string) =>
    waitFor(
      'the run to finish',
      async () => {
        const [r] = await query<{ status: string; error_code: string }>(
          db.url,
          'SELECT status, error_code FROM runtime.runs WHERE id = $1',
          [runId],
        );
        return r && r.status !== 'running' ? r : undefined;
      },
      60_000,
      25,
    );
  const effects = (runId: string) =>
    query<{ attempt: number; seq: number; status: string; replayed: boolean }>(
      db.url,
      "SELECT attempt, seq, status, replayed FROM runtime.effects WHERE run_id = $1 AND tool = 'run_command' ORDER BY attempt, seq",
      [runId],
    );
  return { startRunner, enqueue, cli, pushes, approvals, pendingApproval, finished, effects };
}

async function approve(rig: Awaited<ReturnType<typeof setup>>, id: string): Promise<void> {
  const r = await rig.cli(['approve', id, '--note', 'release approved']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`approval ${id} approved`));
}

test('kill -9 right after the approval is asked: it survives the restart, is decided while no runner is up, and the resumed run pushes exactly once', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one', 'asked');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await one.exited;
  assert.equal(one.child.signalCode, 'SIGKILL', 'the runner died at the crash point');
  await approve(rig, pending.id);
  await rig.startRunner('two');
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['two'],
    'pushed once, by the runner that resumed',
  );
  assert.deepEqual(
    (await rig.approvals(id)).map((a) => a.status),
    ['approved'],
    'one approval for the one action',
  );
});

test('kill -9 while the approval is pending: a restarted runner waits on the same approval, and a decision then resumes the run within a second', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await new Promise((r) => setTimeout(r, 200));
  await one.kill9();
  const two = await rig.startRunner('two');
  await waitFor('the restarted runner to wait on the stored approval', () => two.output().includes('the stored one stands'), 30_000, 25);
  await approve(rig, pending.id);
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  const pushes = rig.pushes();
  assert.deepEqual(
    pushes.map((p) => p.runner),
    ['two'],
  );
  const [decided] = await rig.approvals(id);
  const resumedAfterMs = pushes[0].at - decided.decided_at!.getTime();
  t.diagnostic(`decision → push started: ${resumedAfterMs} ms`);
  assert.ok(resumedAfterMs >= 0 && resumedAfterMs < 1000, `the run resumed ${resumedAfterMs} ms after the decision`);
  assert.equal((await rig.approvals(id)).length, 1);
});

test('kill -9 right after the runner hears the decision: the resumed run takes the stored decision and pushes exactly once', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one', 'decided');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await approve(rig, pending.id);
  await one.exited;
  assert.equal(one.child.signalCode, 'SIGKILL', 'the runner died at the crash point');
  assert.deepEqual(rig.pushes(), [], 'killed before the push');
  await rig.startRunner('two');
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['two'],
  );
  assert.equal((await rig.approvals(id)).length, 1);
});

test('kill -9 while the approved push runs: it is never run again — the resumed run fails with effect_uncommitted, 1 push in all', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one', 'running');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await approve(rig, pending.id);
  await one.exited;
  assert.equal(one.child.signalCode, 'SIGKILL', 'the runner died at the crash point');
  await rig.startRunner('two');
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['failed', 'effect_uncommitted']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['one'],
    'the push that may have happened is not repeated',
  );
  assert.deepEqual(
    (await rig.effects(id)).map((e) => [e.attempt, e.status]),
    [[1, 'started']],
  );
});

test('kill -9 right after the push committed: the resumed run replays it from the ledger and finishes, 1 push in all', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one', 'committed');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await approve(rig, pending.id);
  await one.exited;
  assert.equal(one.child.signalCode, 'SIGKILL', 'the runner died at the crash point');
  await rig.startRunner('two');
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['one'],
  );
  assert.deepEqual(
    (await rig.effects(id)).map((e) => [e.attempt, e.status, e.replayed]),
    [
      [1, 'committed', false],
      [2, 'committed', true],
    ],
  );
});
