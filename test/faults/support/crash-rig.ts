import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { silentLogger } from '../../../shared/log.ts';
import { migrateLedger } from '../../../customer-plane/runner/ledger/migrate.ts';
import { createWorkQueue, ensureWorkQueue } from '../../../customer-plane/runner/work-queue.ts';
import { query, ROOT, tempDir, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { jetStreamServer } from '../../support/jetstream.ts';

/** A runner child process, ready (it printed its ready line). */
export type RunnerProcess = {
  name: string;
  child: ChildProcess;
  /** Its stderr and stdout so far. */
  output(): string;
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  /** SIGTERM, and SIGKILL if it has not exited 10 s later. */
  stop(): Promise<void>;
};

/**
 * What the kill -9 tests of runner processes share (test/faults/runner-crash, approval-crash): a temp
 * dir, a scratch database with the run ledger, a private JetStream nats-server, a sample repo whose
 * README is `readme`, an exec log the test agents append every command to, runner processes started
 * from a child script (test/faults/support/) and waited for, and the dispatch the control plane would
 * queue. When the test ends the runners go first (each as `endRunners` says), then the server, the
 * database and the dir.
 */
export async function crashRig(
  t: { after(fn: () => Promise<void> | void): void },
  o: { name: string; tenant: string; readme: string; endRunners: 'kill9' | 'stop' },
) {
  const dir = tempDir(o.name);
  const db = await createTestDatabase(o.name);
  const nats = await jetStreamServer(dir.path);
  const runners: RunnerProcess[] = [];
  t.after(async () => {
    for (const r of runners) await r[o.endRunners]();
    await nats.stop();
    await db.drop();
    dir.remove();
  });
  await migrateLedger({ databaseUrl: db.url, log: silentLogger() });
  const repo = join(dir.path, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'README.md'), o.readme);
  const execLog = join(dir.path, 'exec.log');
  writeFileSync(execLog, '');

  /** `script` as runner `name` on this rig's queue, database, repo and exec log, plus `env`; failed if not ready within `readyMs`. */
  async function startRunnerProcess(
    script: string,
    name: string,
    p: { env: Record<string, string>; workspaceDir?: string; readyMs: number },
  ): Promise<RunnerProcess> {
    const workspaceDir = p.workspaceDir ?? join(dir.path, `ws-${name}`);
    mkdirSync(workspaceDir, { recursive: true });
    const child = spawn(process.execPath, [join(ROOT, script)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RUNNER_NAME: name,
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        TENANT_ID: o.tenant,
        REPO_DIR: repo,
        WORKSPACE_DIR: workspaceDir,
        EXEC_LOG: execLog,
        ...p.env,
      },
    });
    let out = '';
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner ${name} not ready: ${out}`)), p.readyMs);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        out += `${l}\n`;
        if (l.includes('"event":"ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`runner ${name} exited: ${out}`)));
    });
    const running = () => child.exitCode === null && child.signalCode === null;
    const r: RunnerProcess = {
      name,
      child,
      output: () => out,
      exited,
      async kill9() {
        if (running()) child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (!running()) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
    runners.push(r);
    return r;
  }

  /** Queues workflow `workflowId` (template refactor on the sample repo) for this rig's tenant. */
  async function enqueue(workflowId: string): Promise<void> {
    const nc = await connect({ servers: nats.url });
    await ensureWorkQueue(nc);
    const d = { workflowId, tenant: o.tenant, template: 'refactor', repo: 'sample', requestedAt: Date.now() };
    await createWorkQueue(nc).enqueue(workflowId, new TextEncoder().encode(JSON.stringify(d)));
    await nc.close();
  }

  /** The run's row once it is no longer running. */
  const finished = (runId: string, what = 'the run to finish') =>
    waitFor(
      what,
      async () => {
        const [r] = await query<{ status: string; error_code: string; attempts: number }>(
          db.url,
          'SELECT status, error_code, attempts FROM runtime.runs WHERE id = $1',
          [runId],
        );
        return r && r.status !== 'running' ? r : undefined;
      },
      60_000,
      25,
    );

  return { dir: dir.path, db, natsUrl: nats.url, execLog, startRunnerProcess, enqueue, finished };
}
