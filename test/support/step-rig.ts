import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { checkEvent, type TemplateName, type WorkflowEvent } from '../../shared/boundary.ts';
import type { Db } from '../../shared/db/pool.ts';
import type { Dispatch } from '../../shared/dispatch.ts';
import type { UpKind } from '../../shared/subjects.ts';
import { newUlid } from '../../shared/ids.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { agentOutputSchema, type AgentOutput, type DeterministicAgent, type SyntaxService } from '../../agents/types.ts';
import type { ApprovalBroker } from '../../customer-plane/gate/approval-broker.ts';
import { DEFAULT_ENVIRONMENTS } from '../../customer-plane/environments/defaults.ts';
import type { Environment, Environments } from '../../customer-plane/environments/environments.ts';
import type { CommandGuard, CommandRunner } from '../../customer-plane/guard/types.ts';
import type { RunnerLlm } from '../../customer-plane/llm/types.ts';
import { createRunLedger, type RunLedger, type StepFinish, type StepSpec } from '../../customer-plane/runner/ledger/runs.ts';
import type { StepDeps } from '../../customer-plane/runner/run-step.ts';
import { type RunnerDeps, runWorkflow } from '../../customer-plane/runner/run-workflow.ts';
import { createWorkspace, type Workspace } from '../../customer-plane/workspace/workspace.ts';
import { dispatchFor, ledgerDatabase } from './ledger.ts';

/**
 * What runStep and runWorkflow's direct tests share: one scratch ledger database per test file (every
 * run has its own id, so tests do not meet), a source repository and real git workspaces in a temp dir,
 * and fakes for everything a step only passes through — a guard and runner no test reaches (commands
 * are the guard's tests), a broker that rejects and records what it was asked to close, a logger that
 * keeps its lines. The ledger is the real one; its writes are recorded as they were asked for.
 */
let shared: Promise<{ db: Db; dir: string; source: string; workspace?: Workspace }> | undefined;
/** Call at the top level of a test file (its hooks end the database and the temp dir when the file's tests are done). */
export function useStepRig() {
  const hooks: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const fn of hooks.reverse()) await fn();
  });
  const dir = mkdtempSync(join(tmpdir(), 'ap-step-rig-'));
  hooks.push(() => rmSync(dir, { recursive: true, force: true }));
  const source = writeRepo(join(dir, 'repo'), REPO_FILES);
  shared = ledgerDatabase({ after: (fn) => void hooks.push(fn) }).then(({ db }) => ({ db, dir, source }));
  // A failure to create the database is reported by the first test that needs it.
  shared.catch(() => {});
}
function sharedRig() {
  if (!shared) throw new Error('call useStepRig() at the top level of the test file');
  return shared;
}

export const REPO_FILES = { 'README.md': '# sample\n', 'src/a.ts': 'export const a = 1;\n' };

export function writeRepo(root: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A logger that keeps every line it writes (parsed), at debug level. */
export function recordingLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ service: 'test', level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
  return { log, lines };
}

const unreachable = (what: string) => () => {
  throw new Error(`${what} is not part of these tests`);
};
export const NO_GUARD: CommandGuard = { check: unreachable('the command guard'), checkArgv: unreachable('the command guard') };
export const NO_RUNNER: CommandRunner = { sandbox: 'none', run: unreachable('the command runner') } as unknown as CommandRunner;
export const NO_LLM: RunnerLlm = { chat: unreachable('the model'), close: async () => {} };

export async function stepRig(o: { llm?: RunnerLlm; closeFor?: ApprovalBroker['closeFor'] | null } = {}) {
  const rig = await sharedRig();
  const { db, dir, source } = rig;
  const workspaceDir = mkdtempSync(join(dir, 'workspaces-'));
  const real = createRunLedger(db);
  const finishes: Array<{ runId: string; stepId: string; f: StepFinish }> = [];
  const ledger: RunLedger = {
    ...real,
    // Recorded once stored: a test waiting for a step's record sees it in the ledger too.
    finishStep: async (runId, stepId, f) => {
      await real.finishStep(runId, stepId, f);
      finishes.push({ runId, stepId, f });
    },
  };
  const closed: Array<{ scope: { runId: string; stepId?: string }; reason: string }> = [];
  const broker: ApprovalBroker = {
    request: async () => ({ outcome: 'rejected', note: 'rejected: no approver in these tests' }),
    ...(o.closeFor === null
      ? {}
      : {
          closeFor:
            o.closeFor ?? (async (scope: { runId: string; stepId?: string }, reason: string) => void closed.push({ scope, reason })),
        }),
  } as ApprovalBroker;
  const { log, lines } = recordingLog();
  let now = Date.UTC(2026, 11, 2, 9, 0, 0);
  const deps: StepDeps = {
    db,
    ledger,
    guard: NO_GUARD,
    runner: NO_RUNNER,
    broker,
    llm: o.llm ?? NO_LLM,
    syntax: {} as SyntaxService,
    log,
    // Each reading of the clock is 250 ms after the one before: a step's duration is what its code measured.
    clock: () => (now += 250),
  };
  return {
    db,
    deps,
    ledger,
    finishes,
    closed,
    lines,
    source,
    workspaceDir,
    /** A run opened in the ledger with these steps (none started). */
    async openRun(steps: readonly StepSpec[] = [{ key: 'only', agent: 'fixer', needs: [] }]) {
      const d = dispatchFor({ repo: 'sample' });
      const opened = await real.openRun(d, { steps });
      return { runId: d.workflowId, steps: opened.steps };
    },
    /** A fresh workspace of the source repository. */
    workspace: (runId = newUlid()) => createWorkspace({ sourceDir: source, parentDir: workspaceDir, runId }),
    /**
     * One workspace of the source repository for the whole file, at its baseline (creating one costs
     * several git processes; putting it back, one). The caller puts it back after a step that changed it.
     */
    async sharedWorkspace(): Promise<Workspace> {
      rig.workspace ??= await createWorkspace({ sourceDir: source, parentDir: dir, runId: 'shared' });
      return rig.workspace;
    },
  };
}

export const ok = (summary: string, extra: Partial<AgentOutput> = {}): AgentOutput => ({ summary, findings: [], patches: [], ...extra });

export function deterministic(
  name: DeterministicAgent['name'],
  run: DeterministicAgent['run'],
  o: Partial<Omit<DeterministicAgent, 'run' | 'name' | 'kind'>> = {},
): DeterministicAgent {
  return {
    name,
    kind: 'deterministic',
    tier: null,
    purpose: 'test agent',
    tools: ['list_files', 'read_file', 'write_file'],
    budget: { maxSteps: 20, maxTokens: 0 },
    output: agentOutputSchema,
    run,
    ...o,
  };
}

export const TENANT = '00000000-0000-4000-8000-0000000000aa';

/** Environments as an operator might configure them, without a file. */
export function environmentsOf(list: readonly Environment[] = DEFAULT_ENVIRONMENTS): Environments {
  return { source: 'test', names: () => list.map((e) => e.name), getEnvironment: (name) => list.find((e) => e.name === name) };
}

/**
 * runWorkflow's dependencies on the step rig: the events it emits checked by the boundary schema and
 * kept, the given catalog and templates, the default environments. `run()` is one delivery of a run.
 */
export async function workflowRig(
  o: Partial<Pick<RunnerDeps, 'catalog' | 'templates' | 'environments' | 'maxParallelSteps' | 'inputs' | 'secrets' | 'memory' | 'llm'>> & {
    repos?: Record<string, string>;
    closeFor?: ApprovalBroker['closeFor'] | null;
    wrapLedger?: (l: RunLedger) => RunLedger;
  } = {},
) {
  const rig = await stepRig({ llm: o.llm, closeFor: o.closeFor });
  const events: Array<{ kind: UpKind; event: WorkflowEvent }> = [];
  const rejected: unknown[] = [];
  let flushes = 0;
  const deps: RunnerDeps = {
    ...rig.deps,
    ledger: o.wrapLedger ? o.wrapLedger(rig.ledger) : rig.ledger,
    tenant: TENANT,
    repos: { sample: rig.source, ...o.repos },
    workspaceDir: rig.workspaceDir,
    events: {
      emit(kind, event) {
        const checked = checkEvent(kind, event);
        if (checked.ok) events.push({ kind, event: checked.event as WorkflowEvent });
        else rejected.push({ kind, rejection: checked.rejection });
        return checked.ok ? { ok: true } : { ok: false, rejection: checked.rejection };
      },
      flush: async () => void (flushes += 1),
    },
    catalog: o.catalog ?? {},
    templates: o.templates ?? {},
    maxParallelSteps: o.maxParallelSteps ?? 3,
    environments: o.environments ?? environmentsOf(),
    inputs: o.inputs,
    secrets: o.secrets,
    memory: o.memory,
  };
  return {
    ...rig,
    deps,
    events,
    rejected,
    flushes: () => flushes,
    /** The events of one run, as `type` or `type:status:errorCode` for finished ones. */
    eventsOf: (runId: string) =>
      events
        .map((e) => e.event)
        .filter((e) => e.workflowId === runId)
        .map((e) => (e.type === 'workflow.finished' || e.type === 'step.finished' ? `${e.type}:${e.status}:${e.errorCode}` : e.type)),
    async run(template: string, d: Partial<Dispatch> = {}, opts: { signal?: AbortSignal } = {}) {
      const dispatch = dispatchFor({ template: template as TemplateName, tenant: TENANT, ...d });
      const result = await runWorkflow(dispatch, deps, opts);
      return { ...result, runId: dispatch.workflowId };
    },
    /** What the ledger holds for a run: its status and code, and each step's key, status and code. */
    async recordOf(runId: string) {
      const got = (await rig.ledger.getRun(runId))!;
      return { run: [got.run.status, got.run.errorCode], steps: got.steps.map((s) => [s.stepKey, s.status, s.errorCode]) };
    },
  };
}
