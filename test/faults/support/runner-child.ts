/**
 * A runner process for the crash tests: the real runner (work queue consumer, ledger, gate, tools)
 * with test-local agents, the TEST-ONLY guard and runner (which log every command they execute to
 * EXEC_LOG, one line per execution), and events written to EVENTS_FILE after the boundary check.
 * Exits when its parent goes away (stdin closes), so a crashed test leaves no runner behind.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { checkEvent } from '../../../shared/boundary.ts';
import { createDb } from '../../../shared/db/pool.ts';
import { createLogger } from '../../../shared/log.ts';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import { createSyntaxService } from '../../../customer-plane/analysis/syntax.ts';
import { createRejectingBroker } from '../../../customer-plane/gate/approval-broker.ts';
import { createRunLedger } from '../../../customer-plane/runner/ledger/runs.ts';
import { loadEnvironments } from '../../../customer-plane/environments/environments.ts';
import { ensureWorkQueue } from '../../../customer-plane/runner/work-queue.ts';
import { startRunner } from '../../../customer-plane/runner/worker.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';

const env = process.env as Record<string, string>;
const name = env.RUNNER_NAME;
const STEP_SLEEP_MS = Number(env.STEP_SLEEP_MS ?? '800');

const must = (r: ToolResult) => {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
};

/** Writes `count` files, each followed by an `ls` of it (one counted execution per effect pair) and a pause. */
function writer(agent: 'patch-applier' | 'fixer' | 'refactorer', prefix: string, count: number): DeterministicAgent {
  return {
    name: agent,
    kind: 'deterministic',
    tier: null,
    purpose: 'crash-test writer',
    tools: ['write_file', 'run_command', 'read_file'],
    programs: ['ls'],
    budget: { maxSteps: 100, maxTokens: 0 },
    output: agentOutputSchema,
    async run(ctx) {
      for (let i = 1; i <= count; i++) {
        must(await ctx.tools.call('write_file', { path: `${prefix}${i}.txt`, content: `${prefix}${i}\n` }));
        must(await ctx.tools.call('run_command', { command: `ls ${prefix}${i}.txt` }));
        await sleep(STEP_SLEEP_MS);
      }
      return { summary: `${prefix} done`, findings: [], patches: [] };
    },
  };
}

const argvs = ['a', 'b', 'c'].flatMap((p) => [1, 2, 3, 4].map((i) => ({ argv: ['ls', `${p}${i}.txt`] })));

async function main() {
  const log = createLogger({ service: `runner-${name}`, level: 'warn' });
  const nc = await connect({ servers: env.NATS_URL, name });
  await ensureWorkQueue(nc);
  const db = createDb({ databaseUrl: env.DATABASE_URL, max: 6 });
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
        if (checked.ok) appendFileSync(env.EVENTS_FILE, `${JSON.stringify({ kind, event })}\n`);
        return checked.ok ? { ok: true } : { ok: false, rejection: checked.rejection };
      },
      flush: async () => {},
    },
    catalog: {
      'patch-applier': writer('patch-applier', 'a', Number(env.A_EFFECTS ?? '1')),
      fixer: writer('fixer', 'b', Number(env.B_EFFECTS ?? '4')),
      refactorer: writer('refactorer', 'c', Number(env.C_EFFECTS ?? '2')),
    },
    templates: {
      refactor: {
        name: 'refactor',
        description: 'three writers in a row',
        steps: [
          { id: 'first', agent: 'patch-applier', needs: [] },
          { id: 'second', agent: 'fixer', needs: ['first'] },
          { id: 'third', agent: 'refactorer', needs: ['second'] },
        ],
      },
    },
    guard: createTestOnlyGuard(argvs),
    runner: createTestOnlyRunner({ onRun: (argv) => appendFileSync(env.EXEC_LOG, `${name} ${argv.join(' ')}\n`) }),
    broker: createRejectingBroker(),
    environments: await loadEnvironments(),
    llm: { chat: async () => Promise.reject(new Error('no LLM in this test')), close: async () => {} },
    syntax: await createSyntaxService(),
    clock: Date.now,
    log,
    concurrency: 1,
    maxParallelSteps: 2,
    ackWaitMs: Number(env.ACK_WAIT_MS),
    maxDeliver: Number(env.MAX_DELIVER ?? '3'),
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready', name })}\n`);
  const stop = async () => {
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
