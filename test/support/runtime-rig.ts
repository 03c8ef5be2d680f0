import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AgentName, checkEvent, type TemplateName, type UsageCounter, type WorkflowEvent } from '../../shared/boundary.ts';
import { createDb, type Db } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import { createLlmGateway } from '../../shared/llm/index.ts';
import { type Logger, silentLogger } from '../../shared/log.ts';
import type { UpKind } from '../../shared/subjects.ts';
import { CATALOG } from '../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import type { AgentDefinition, WorkflowTemplate } from '../../agents/types.ts';
import { type ApprovalBroker, createRejectingBroker } from '../../customer-plane/gate/approval-broker.ts';
import { type Environments, loadEnvironments } from '../../customer-plane/environments/environments.ts';
import type { CommandGuard, CommandRunner } from '../../customer-plane/guard/types.ts';
import { withUsageReporting } from '../../customer-plane/llm/usage-reporter.ts';
import { createCommandExecution } from '../../customer-plane/runner/command-execution.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { migrateApprovals } from '../../customer-plane/approvals/migrate.ts';
import { createStoredBroker, type StoredBroker } from '../../customer-plane/approvals/broker.ts';
import { createApprovalStore } from '../../customer-plane/approvals/store.ts';
import { createRunRecords } from '../../customer-plane/runner/ledger/records.ts';
import { createRunLedger } from '../../customer-plane/runner/ledger/runs.ts';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../customer-plane/memory/config.ts';
import { createMemory } from '../../customer-plane/memory/memory.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { type RunnerDeps, type RunnerSecrets, runWorkflow } from '../../customer-plane/runner/run-workflow.ts';
import { createRunInputs } from '../../customer-plane/runner/ledger/inputs.ts';
import type { SecretBackend } from '../../customer-plane/secrets/store.ts';
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
    /**
     * Use the customer plane's stored broker on the rig's database (pending approvals decided through
     * `rig.approvals`); its poll interval, clock and logger may be set.
     */
    storedApprovals?: { pollMs?: number; clock?: () => number; log?: Logger };
    script?: (req: ScriptedRequest) => ScriptedReply | undefined;
    fetch?: typeof fetch;
    /** The customer plane's environments (default: sandbox, preview, production as shipped). */
    environments?: Environments;
    maxParallelSteps?: number;
    /** Wraps the pool the runtime uses (to inject database failures). */
    wrapDb?: (db: Db) => Db;
    /** Secrets runs may use by reference (provider, scope, masking); absent = none. */
    secrets?: RunnerSecrets;
    /** Where run inputs keep their secret values; given = `run(…, { inputs })` can name inputs. */
    inputsBackend?: SecretBackend;
    /** The runtime's logger (default: silent). */
    log?: Logger;
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
  let stored: StoredBroker | undefined;
  t.after(async () => {
    await openai.close();
    // Before the pool ends: the broker's listening connection would hold the end.
    await stored?.close();
    await pool.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateLedger({ databaseUrl: database.url, log: silentLogger() });
  await migrateApprovals({ databaseUrl: database.url, log: silentLogger() });
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
  const environments = opts.environments ?? (await loadEnvironments());
  if (opts.storedApprovals)
    stored = createStoredBroker({ db: pool, environments, log: opts.storedApprovals.log ?? silentLogger(), ...opts.storedApprovals });
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
    broker: stored ?? opts.broker ?? createRejectingBroker(),
    llm: withUsageReporting(gateway, (u) => usage.push(u)),
    syntax: commands.syntax,
    log: opts.log ?? silentLogger(),
    clock: Date.now,
    fetch: opts.fetch,
    secrets: opts.secrets,
    inputs: opts.inputsBackend ? createRunInputs({ db, backend: opts.inputsBackend }) : undefined,
    maxParallelSteps: opts.maxParallelSteps ?? 3,
    environments,
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
    /** The approvals table (decide with `approvals.decide(id, 'approved', …)`). */
    approvals: createApprovalStore(pool),
    /** The stored broker, when `storedApprovals` was given (close it to interrupt waits). */
    storedBroker: stored,
    /** Runs a workflow as one delivery of its work would. */
    async run(
      template: TemplateName,
      o: { repo?: string; workflowId?: string; inputs?: string; environment?: string; signal?: AbortSignal } = {},
    ) {
      const workflowId = o.workflowId ?? newUlid();
      const result = await runWorkflow(
        {
          workflowId,
          tenant: deps.tenant,
          template,
          repo: o.repo ?? 'sample',
          ...(o.environment ? { environment: o.environment } : {}),
          requestedAt: Date.now(),
          ...(o.inputs ? { inputs: o.inputs } : {}),
        },
        deps,
        { signal: o.signal },
      );
      return { ...result, runId: workflowId };
    },
    async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await pool.query(sql, params)).rows as T[];
    },
  };
}
