/**
 * A customer-plane runner process for the approval crash tests: the real runner (work queue, ledger,
 * gate, toolbox) with the real stored approval broker and environments, one test agent that pushes
 * (a command the TEST-ONLY guard marks with the `push` consequence, so the gate asks), and the
 * TEST-ONLY command runner, which appends every execution to EXEC_LOG before it starts it.
 *
 * CRASH_AT makes the process kill itself with SIGKILL at one point of the approval cycle:
 *   asked     — right after the pending approval is stored (its log line)
 *   decided   — right after the waiting step hears the decision (its log line)
 *   running   — while the approved push runs: after it is logged as started, before it returns
 *   committed — right after the push's effect is committed, before the step finishes
 * (`pending` is a kill from outside, by the test.) Exits when its parent goes away (stdin closes).
 */
import { appendFileSync, writeSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { checkEvent } from '../../../shared/boundary.ts';
import { createDb } from '../../../shared/db/pool.ts';
import { createLogger } from '../../../shared/log.ts';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import { createSyntaxService } from '../../../customer-plane/analysis/syntax.ts';
import { createStoredBroker } from '../../../customer-plane/approvals/broker.ts';
import { loadEnvironments } from '../../../customer-plane/environments/environments.ts';
import { createRunLedger } from '../../../customer-plane/runner/ledger/runs.ts';
import { ensureWorkQueue } from '../../../customer-plane/runner/work-queue.ts';
import { startRunner } from '../../../customer-plane/runner/worker.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';

const env = process.env as Record<string, string>;
const name = env.RUNNER_NAME;
const crashAt = env.CRASH_AT ?? '';
const die = () => process.kill(process.pid, 'SIGKILL');

const pusher: DeterministicAgent = {
  name: 'fixer',
  kind: 'deterministic',
  tier: null,
  purpose: 'crash test: writes a file, then pushes (asked)',
  tools: ['write_file', 'run_command'],
  programs: ['git'],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const wrote = await ctx.tools.call('write_file', { path: 'release.txt', content: 'v2\n' });
    if (!wrote.ok) throw new Error(`write refused: ${wrote.reason}`);
    const pushed = await ctx.tools.call('run_command', { command: 'git push origin main' });
    if (crashAt === 'committed') die();
    return { summary: pushed.ok ? 'pushed' : `push ${pushed.reason}`, findings: [], patches: [] };
  },
};

async function main() {
  // Every line goes to stdout as well (the test reads them); the crash points are found by message.
  const log = createLogger({
    service: `runner-${name}`,
    level: 'info',
    destination: {
      write(line: string) {
        writeSync(1, line);
        if (crashAt === 'asked' && line.includes('"msg":"approval requested:')) die();
        if (crashAt === 'decided' && line.includes('"msg":"approval decided"')) die();
      },
    },
  });
  const nc = await connect({ servers: env.NATS_URL, name });
  await ensureWorkQueue(nc);
  const db = createDb({ databaseUrl: env.DATABASE_URL, max: 6 });
  const environments = await loadEnvironments();
  const broker = createStoredBroker({ db, environments, log });
  const runner = await startRunner({
    nc,
    db,
    ledger: createRunLedger(db),
    tenant: env.TENANT_ID,
    repos: { sample: env.REPO_DIR },
    workspaceDir: env.WORKSPACE_DIR,
    events: {
      emit(kind, event) {
        const checked = checkEvent(kind, event);
        return checked.ok ? { ok: true } : { ok: false, rejection: checked.rejection };
      },
      flush: async () => {},
    },
    catalog: { fixer: pusher },
    templates: { refactor: { name: 'refactor', description: 'push once', steps: [{ id: 'push', agent: 'fixer', needs: [] }] } },
    environments,
    guard: createTestOnlyGuard([{ argv: ['git', 'push', 'origin', 'main'], consequences: ['push'] }]),
    runner: createTestOnlyRunner({
      onRun: (argv) => {
        appendFileSync(env.EXEC_LOG, `${name} ${Date.now()} ${argv.join(' ')}\n`);
        if (crashAt === 'running') die();
      },
    }),
    broker,
    llm: { chat: async () => Promise.reject(new Error('no LLM in this test')), close: async () => {} },
    syntax: await createSyntaxService(),
    clock: Date.now,
    log,
    concurrency: 1,
    maxParallelSteps: 1,
    ackWaitMs: Number(env.ACK_WAIT_MS),
    maxDeliver: 5,
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready', name })}\n`);
  const stop = async () => {
    await broker.close();
    await runner.stop();
    await nc.drain().catch(() => {});
    await db.end();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
