import { connect } from '@nats-io/transport-node';
import { checkEvent, type WorkflowEvent } from '../../../shared/boundary.ts';
import type { UpKind } from '../../../shared/subjects.ts';
import { createDb } from '../../../shared/db/pool.ts';
import type { Logger } from '../../../shared/log.ts';
import { createSyntaxService } from '../../../customer-plane/analysis/syntax.ts';
import { createRunLedger } from '../../../customer-plane/runner/ledger/runs.ts';
import { ensureWorkQueue } from '../../../customer-plane/runner/work-queue.ts';
import { type RunnerOptions, startRunner } from '../../../customer-plane/runner/worker.ts';

/**
 * What the crash tests' runner processes share: the connections and the real runner built from the
 * environment the test gives them (NATS_URL, DATABASE_URL, TENANT_ID, REPO_DIR, WORKSPACE_DIR,
 * ACK_WAIT_MS), events checked by the boundary schema, no LLM; and how such a process lives — a
 * `ready` line on stdout, a clean stop on SIGTERM, an exit when its parent goes away (stdin closes),
 * so a crashed test leaves no runner behind.
 */
export const childEnv = process.env as Record<string, string>;

type OwnParts = Pick<
  RunnerOptions,
  'catalog' | 'templates' | 'environments' | 'guard' | 'runner' | 'broker' | 'maxParallelSteps' | 'maxDeliver'
>;

export async function startChildRunner(opts: {
  name: string;
  log: Logger;
  /** The test's own agents, templates, guard, runner and broker; built with the child's database. */
  parts: (db: ReturnType<typeof createDb>) => Promise<OwnParts> | OwnParts;
  /** Each event the boundary schema accepted. */
  onEvent?: (kind: UpKind, event: WorkflowEvent) => void;
  /** Stopped first on SIGTERM (e.g. the approval broker). */
  beforeStop?: () => Promise<void>;
}): Promise<void> {
  const env = childEnv;
  const nc = await connect({ servers: env.NATS_URL, name: opts.name });
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
        if (checked.ok) opts.onEvent?.(kind, event as WorkflowEvent);
        return checked.ok ? { ok: true } : { ok: false, rejection: checked.rejection };
      },
      flush: async () => {},
    },
    ...(await opts.parts(db)),
    llm: { chat: async () => Promise.reject(new Error('no LLM in this test')), close: async () => {} },
    syntax: await createSyntaxService(),
    clock: Date.now,
    log: opts.log,
    concurrency: 1,
    ackWaitMs: Number(env.ACK_WAIT_MS),
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready', name: opts.name })}\n`);
  const stop = async () => {
    await opts.beforeStop?.();
    await runner.stop();
    await nc.drain().catch(() => {});
    await db.end();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
}

/** Runs the child's main; a failure to start is printed and exits 1. */
export function runChildMain(main: () => Promise<void>): void {
  main().catch((err) => {
    process.stderr.write(`${String(err?.stack ?? err)}\n`);
    process.exit(1);
  });
}
