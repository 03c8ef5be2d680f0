import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AgentName, checkEvent, type TemplateName, type UsageCounter, type WorkflowEvent } from '../../shared/boundary.ts';
import { createDb, type Db } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import { createLlmGateway } from '../../shared/llm/index.ts';
import { silentLogger } from '../../shared/log.ts';
import type { UpKind } from '../../shared/subjects.ts';
import { CATALOG } from '../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import type { AgentDefinition, WorkflowTemplate } from '../../agents/types.ts';
import { type ApprovalBroker, createRejectingBroker } from '../../customer-plane/gate/approval-broker.ts';
import type { PolicyContext } from '../../customer-plane/gate/policy.ts';
import type { CommandGuard, CommandRunner } from '../../customer-plane/guard/types.ts';
import { withUsageReporting } from '../../customer-plane/llm/usage-reporter.ts';
import { createCommandExecution } from '../../customer-plane/runner/command-execution.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createRunRecords } from '../../customer-plane/runner/ledger/records.ts';
import { createRunLedger } from '../../customer-plane/runner/ledger/runs.ts';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../customer-plane/memory/config.ts';
import { createMemory } from '../../customer-plane/memory/memory.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { type RunnerDeps, runWorkflow } from '../../customer-plane/runner/run-workflow.ts';
import { type FakeProvider, type ScriptedReply, type ScriptedRequest, startFakeOpenAI } from '../../scripts/fakes/index.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * The agent runtime in this process against real things: its own Postgres database (migrated), a
 * real git workspace, the command guard, runner (bubblewrap sandbox where it starts) and syntax
 * service the customer plane wires, the LLM gateway calling the FAKE OpenAI over HTTP (scriptable),
 * and the events it emits checked by the real boundary schema. No NATS: `run()` calls runWorkflow as
 * a delivery would.
 */
export type RuntimeRig = Awaited<ReturnType<typeof startRuntimeRig>>;

export async function startRuntimeRig(
  t: { after(fn: () => Promise<void> | void): void },
  opts: {
    repoFiles?: Record<string, string>;
    catalog?: Partial<Record<AgentName, AgentDefinition>>;
    templates?: Partial<Record<TemplateName, WorkflowTemplate>>;
    guard?: CommandGuard;
    runner?: CommandRunner;
    /** SANDBOX for the runner the rig creates when no `runner` is given (default auto). */
    sandbox?: 'auto' | 'bwrap' | 'none';
    broker?: ApprovalBroker;
    script?: (req: ScriptedRequest) => ScriptedReply | undefined;
    fetch?: typeof fetch;
    policy?: PolicyContext;
    maxParallelSteps?: number;
    /** Wraps the pool the runtime uses (to inject database failures). */
    wrapDb?: (db: Db) => Db;
    /** Agent memory in the `memory` schema (off unless asked for): true for the defaults, or settings to change. */
    memory?: true | { reuse?: boolean; autonomy?: Partial<MemoryConfig['autonomy']> };
    /** More repositories beside `sample`: alias → files. */
    moreRepos?: Record<string, Record<string, string>>;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-runtime-'));
  const database = await createTestDatabase('rt');
  const openai: FakeProvider = await startFakeOpenAI({ script: opts.script });
  const pool = createDb({ databaseUrl: database.url, max: 8 });
  t.after(async () => {
    await openai.close();
    await pool.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateLedger({ databaseUrl: database.url, log: silentLogger() });
  const repoDir = join(dir, 'repo');
  const files = opts.repoFiles ?? { 'README.md': '# sample\n', 'src/server.ts': 'export const x = 1;\n' };
  const repos: Record<string, string> = { sample: repoDir };
  for (const [alias, repoFiles] of [['sample', files] as const, ...Object.entries(opts.moreRepos ?? {})]) {
    const root = alias === 'sample' ? repoDir : join(dir, `repo-${alias}`);
    repos[alias] = root;
    for (const [path, text] of Object.entries(repoFiles)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    mkdirSync(root, { recursive: true });
  }
  const workspaceDir = join(dir, 'workspaces');
  mkdirSync(workspaceDir);

  const events: Array<{ kind: UpKind; event: WorkflowEvent }> = [];
  const rejected: unknown[] = [];
  const usage: UsageCounter[] = [];
  const gateway = createLlmGateway({ providers: { openai: { apiKey: 'fake-key', baseURL: openai.url } }, log: silentLogger() });
  const db = opts.wrapDb ? opts.wrapDb(pool) : pool;
  const commands = await createCommandExecution({
    sandbox: opts.sandbox ?? 'auto',
    stateDir: dir,
    log: silentLogger(),
    guard: opts.guard,
    runner: opts.runner,
  });
  t.after(() => commands.dispose());
  const tenant = '00000000-0000-4000-8000-0000000000aa';
  let memory: ReturnType<typeof createMemory> | undefined;
  if (opts.memory) {
    await migrateMemory({ databaseUrl: database.url, log: silentLogger() });
    const m = opts.memory === true ? {} : opts.memory;
    const config: MemoryConfig = {
      ...DEFAULT_MEMORY_CONFIG,
      reuse: m.reuse ?? DEFAULT_MEMORY_CONFIG.reuse,
      autonomy: { ...DEFAULT_MEMORY_CONFIG.autonomy, ...m.autonomy },
    };
    memory = createMemory({ db, config, log: silentLogger(), tenant, llmIdentity: 'fake-openai' });
  }
  const deps: RunnerDeps = {
    db,
    ledger: createRunLedger(db),
    tenant,
    repos,
    workspaceDir,
    events: {
      emit(kind, event) {
        const checked = checkEvent(kind, event);
        if (checked.ok) events.push({ kind, event: checked.event as WorkflowEvent });
        else rejected.push({ kind, rejection: checked.rejection });
        return checked.ok ? { ok: true } : { ok: false, rejection: checked.rejection };
      },
      flush: async () => {},
    },
    catalog: opts.catalog ?? CATALOG,
    templates: opts.templates ?? TEMPLATE_DEFINITIONS,
    guard: commands.guard,
    runner: commands.runner,
    broker: opts.broker ?? createRejectingBroker(),
    llm: withUsageReporting(gateway, (u) => usage.push(u)),
    syntax: commands.syntax,
    log: silentLogger(),
    clock: Date.now,
    fetch: opts.fetch,
    maxParallelSteps: opts.maxParallelSteps ?? 3,
    policy: opts.policy,
    memory,
  };
  const records = createRunRecords(pool);
  return {
    dir,
    databaseUrl: database.url,
    pool,
    deps,
    repoDir,
    repos,
    memory,
    workspaceDir,
    openai,
    events,
    rejected,
    usage,
    records,
    /** Runs a workflow as one delivery of its work would. */
    async run(template: TemplateName, o: { repo?: string; workflowId?: string; environment?: string } = {}) {
      const workflowId = o.workflowId ?? newUlid();
      const policy = o.environment ? { ...(deps.policy ?? { autonomy: 'assisted' as const }), environment: o.environment } : deps.policy;
      const result = await runWorkflow(
        { workflowId, tenant: deps.tenant, template, repo: o.repo ?? 'sample', requestedAt: Date.now() },
        { ...deps, policy },
      );
      return { ...result, runId: workflowId };
    },
    async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await pool.query(sql, params)).rows as T[];
    },
  };
}
