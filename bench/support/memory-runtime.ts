/**
 * The customer plane's runtime for bench:memory, in this process: a scratch Postgres database with the
 * ledger and memory schemas, the real guard, sandboxed runner and syntax service, the LLM gateway
 * calling the FAKE OpenAI on loopback (scripted), and agent memory with its default settings. Runs go
 * straight to runWorkflow, as one delivery of their work would; the metadata events are dropped here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemplateName, UsageCounter } from '../../shared/boundary.ts';
import { createDb } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import { createLlmGateway } from '../../shared/llm/index.ts';
import { silentLogger } from '../../shared/log.ts';
import { CATALOG } from '../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import { loadEnvironments } from '../../customer-plane/environments/environments.ts';
import { createRejectingBroker } from '../../customer-plane/gate/approval-broker.ts';
import { withUsageReporting } from '../../customer-plane/llm/usage-reporter.ts';
import { DEFAULT_MEMORY_CONFIG } from '../../customer-plane/memory/config.ts';
import { createMemory } from '../../customer-plane/memory/memory.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { createCommandExecution } from '../../customer-plane/runner/command-execution.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createRunLedger } from '../../customer-plane/runner/ledger/runs.ts';
import { type RunnerDeps, runWorkflow } from '../../customer-plane/runner/run-workflow.ts';
import { type ScriptedReply, type ScriptedRequest, startFakeOpenAI } from '../../scripts/fakes/index.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

const TENANT = '00000000-0000-4000-8000-00000000be01';

export async function startMemoryRuntime(opts: { repoDir: string; script: (req: ScriptedRequest) => ScriptedReply | undefined }) {
  const log = silentLogger();
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-memory-'));
  const database = await createTestDatabase('bench_memory');
  const openai = await startFakeOpenAI({ script: opts.script });
  const db = createDb({ databaseUrl: database.url, max: 8 });
  const commands = await createCommandExecution({ sandbox: 'auto', stateDir: dir, log });
  const usage: UsageCounter[] = [];
  const close = async () => {
    commands.dispose();
    await openai.close();
    await db.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrateLedger({ databaseUrl: database.url, log });
    await migrateMemory({ databaseUrl: database.url, log });
  } catch (err) {
    await close();
    throw err;
  }
  const gateway = createLlmGateway({ providers: { openai: { apiKey: 'fake-key', baseURL: openai.url } }, log });
  const deps: RunnerDeps = {
    db,
    ledger: createRunLedger(db),
    tenant: TENANT,
    repos: { bench: opts.repoDir },
    workspaceDir: dir,
    events: { emit: () => ({ ok: true }), flush: async () => {} },
    catalog: CATALOG,
    templates: TEMPLATE_DEFINITIONS,
    guard: commands.guard,
    runner: commands.runner,
    broker: createRejectingBroker(),
    llm: withUsageReporting(gateway, (u) => usage.push(u)),
    syntax: commands.syntax,
    log,
    clock: Date.now,
    maxParallelSteps: 3,
    environments: await loadEnvironments(),
    memory: createMemory({ db, config: DEFAULT_MEMORY_CONFIG, log, tenant: TENANT, llmIdentity: 'fake-openai' }),
  };
  return {
    database: database.name,
    /** Runs the template once; returns its outcome, the model calls and tokens it cost, and the turns memory answered. */
    async run(template: TemplateName) {
      const from = usage.length;
      const workflowId = newUlid();
      const t0 = performance.now();
      const result = await runWorkflow({ workflowId, tenant: TENANT, template, repo: 'bench', requestedAt: Date.now() }, deps);
      const ms = performance.now() - t0;
      const spent = usage.slice(from);
      const tokens = spent.reduce((n, u) => n + u.inputTokens + (u.cachedInputTokens ?? 0) + u.outputTokens, 0);
      const { rows } = await db.query('SELECT turns_reused FROM memory.episodes WHERE run_id = $1', [workflowId]);
      return { ...result, calls: spent.length, tokens, reused: Number(rows[0]?.turns_reused ?? 0), ms };
    },
    close,
  };
}
