import type { AgentName, ErrorCode, TemplateName } from '../../shared/boundary.ts';
import { type Dispatch, environmentOf } from '../../shared/dispatch.ts';
import { newUlid } from '../../shared/ids.ts';
import type { AgentDefinition, AgentOutput, WorkflowTemplate } from '../../agents/types.ts';
import type { PolicyContext } from '../gate/policy.ts';
import { admitRun, type Environment, type Environments } from '../environments/environments.ts';
import { RetryableError } from '../../shared/worker-errors.ts';
import type { FinishedRun } from '../memory/rollup.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { LedgerError } from './ledger/journal.ts';
import type { RunRow, StepRow } from './ledger/runs.ts';
import { prepareWorkspace, RunFailure } from './prepare-workspace.ts';
import { gateEvent, type RunEvents, stepFinishedEvent, workflowFinishedEvent } from './run-events.ts';
import { closeStepApprovals, isWriter, runStep, type StepDeps } from './run-step.ts';
import { nextActions, type SchedState, templateProblems } from './scheduler.ts';
import type { ClaimedInputs, RunInputs } from './ledger/inputs.ts';
import { SecretNameError } from '../secrets/errors.ts';
import type { SecretMasking } from '../secrets/masking.ts';
import type { SecretScope, SecretsProvider } from '../secrets/provider.ts';
import { openRunSecrets, type RunSecrets } from '../secrets/run-secrets.ts';
import { unmaskReferences } from '../secrets/unmask.ts';

export type RunnerDeps = StepDeps & {
  tenant: string;
  repos: Record<string, string>;
  workspaceDir: string;
  events: RunEvents;
  catalog: Partial<Record<AgentName, AgentDefinition>>;
  templates: Partial<Record<TemplateName, WorkflowTemplate>>;
  /** Steps of one run that may run at once (readers only: a writer always runs alone). */
  maxParallelSteps: number;
  /** Secrets runs may use by reference; absent = none (every reference is refused). */
  secrets?: RunnerSecrets;
  /** Inputs given to runs locally; a dispatch names them by id. */
  inputs?: RunInputs;
  /** The customer plane's named environments; a run names one in its dispatch (default `sandbox`). */
  environments: Environments;
};

export type RunnerSecrets = {
  provider: SecretsProvider;
  /** Overrides the run's secret scope (tests); by default a run reads its environment's prefix. */
  scopeFor?: (d: Dispatch) => SecretScope;
  /** The plane's own secrets, read at each run's start so they are masked in its outputs too. */
  own?: () => Promise<Array<[string, string]>>;
  /** Where the run's masker is registered so log lines are masked too. */
  masking?: SecretMasking;
};

/**
 * Runs (or resumes) one workflow: the ledger's run and steps, the workspace rebuilt to where the last
 * completed step left it, the template's DAG scheduled step by step, and metadata events out through
 * egress. Outputs stay in the local ledger. A step's failure fails its dependents as skipped and the
 * run with the first failing step's code. Throws only when the run must be retried (the ledger is
 * unreachable); the workspace is destroyed whatever happens.
 */
export async function runWorkflow(
  d: Dispatch,
  deps: RunnerDeps,
  opts: { requestId?: string; signal?: AbortSignal } = {},
): Promise<{ status: 'succeeded' | 'failed'; errorCode: ErrorCode }> {
  const log = deps.log.child({ workflowId: d.workflowId });
  const template = deps.templates[d.template];
  const specs = template?.steps.map((s) => ({ key: s.id, agent: s.agent, needs: s.needs }));
  const problems = specs ? templateProblems(specs) : [];
  const opened = await deps.ledger.openRun(d, { requestId: opts.requestId, steps: specs && problems.length === 0 ? specs : undefined });
  const run = opened.run;
  deps.events.emit('meta', {
    type: 'workflow.started',
    eventId: run.startedEventId,
    workflowId: run.id,
    template: run.template,
    at: run.createdAt,
  });
  if (run.attempts > 1) await reemitSteps(run, opened.steps, deps);
  // Flush now: this event is also the customer plane's acceptance, which stops the hub's re-sends.
  await deps.events.flush();
  if (run.status !== 'running') return finish(run, deps, run.status, run.errorCode, log);
  if (run.attempts > 1) log.info({ attempt: run.attempts }, 'resuming workflow from the ledger');

  const source = deps.repos[d.repo];
  // Refused before anything runs: an environment this plane does not have, a template it does not
  // allow there, or (where only reviewed templates run) one not reviewed or changed since.
  if (!deps.environments.getEnvironment(environmentOf(d))) return refuse(run, deps, 'unknown_environment', log);
  if (!template) return finish(run, deps, 'failed', 'unknown_template', log);
  const admitted = admitRun(deps.environments, environmentOf(d), template, deps.catalog);
  if (!admitted.ok) return refuse(run, deps, admitted.code, log, admitted.message);
  if (problems.length) {
    log.error({ problems }, 'template is not a runnable DAG');
    return finish(run, deps, 'failed', 'internal', log);
  }
  if (!source) return failUnrun(run, deps, 'repo_not_found', log);

  // Inputs given locally: the dispatch names them by id; a missing, expired or used id fails the run.
  let claimed: ClaimedInputs | undefined;
  if (d.inputs) {
    claimed = await deps.inputs?.claim(d.inputs, { runId: run.id, template: run.template }).catch((err) => {
      throw new LedgerError(err);
    });
    if (!claimed) return failUnrun(run, deps, 'inputs_not_found', log);
  }
  // A store that cannot be read throws SecretsUnavailableError (retryable): the run waits, it does not fail.
  let secrets: RunSecrets | undefined;
  try {
    secrets = await openSecrets(d, deps, claimed, admitted.environment);
  } catch (err) {
    if (!(err instanceof SecretNameError)) throw err;
    log.error({ err }, 'the run’s secret scope is not valid');
    return failUnrun(run, deps, 'internal', log);
  }

  let workspace: Workspace | undefined;
  try {
    const prepared = await prepareWorkspace(run, {
      ledger: deps.ledger,
      sourceDir: source,
      workspaceDir: deps.workspaceDir,
      unmask: secrets ? (diff) => unmaskReferences(diff, (name) => secrets!.resolve(name)) : undefined,
    });
    workspace = prepared.workspace;
    await schedule(run, template, opened.steps, workspace, prepared.tree, admitted.environment, deps, {
      ...opts,
      secrets,
      params: claimed?.params ?? {},
    });
  } catch (err) {
    if (!(err instanceof RunFailure)) throw err;
    log.warn({ errorCode: err.code, err }, 'workflow failed before its steps');
    return failUnrun(run, deps, err.code, log);
  } finally {
    await workspace?.destroy().catch((err) => log.error({ err }, 'workspace cleanup failed'));
    secrets?.dispose();
  }
  const steps = (await deps.ledger.getRun(run.id))!.steps;
  const failed = steps.filter((s) => s.status === 'failed').sort((a, b) => (a.completionSeq ?? 0) - (b.completionSeq ?? 0));
  return finish(run, deps, failed.length ? 'failed' : 'succeeded', failed[0]?.errorCode ?? 'none', log);
}

async function schedule(
  run: RunRow,
  template: WorkflowTemplate,
  rows: StepRow[],
  workspace: Workspace,
  startTree: string,
  environment: Environment,
  deps: RunnerDeps,
  {
    signal,
    requestId,
    secrets,
    params: runParams,
  }: { signal?: AbortSignal; requestId?: string; secrets?: RunSecrets; params: Record<string, string> },
): Promise<void> {
  const byKey = new Map(rows.map((r) => [r.stepKey, r]));
  // The template's own parameters win over a run input of the same name.
  const params = new Map(template.steps.map((s) => [s.id, { ...runParams, ...(s.params ?? {}) }]));
  // A step caught running by a crash is pending again; finished ones keep their outcome.
  const state = new Map<string, SchedState>(rows.map((r) => [r.stepKey, r.status === 'running' ? 'pending' : r.status]));
  const outputs = new Map<string, AgentOutput>(rows.filter((r) => r.status === 'succeeded' && r.output).map((r) => [r.stepKey, r.output!]));
  const policy = policyFor(environment);
  const controller = new AbortController();
  const stepSignal = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const running = new Map<string, Promise<void>>();
  let tree = startTree;
  let broken: unknown;

  const start = (row: StepRow) => {
    const agent = deps.catalog[row.agent];
    const inputs = Object.fromEntries(row.needs.filter((n) => outputs.has(n)).map((n) => [n, outputs.get(n)!]));
    const p = runStep(
      {
        runId: run.id,
        tenant: deps.tenant,
        policy,
        environment,
        repo: run.repo,
        template: run.template,
        step: row,
        agent,
        inputs,
        params: params.get(row.stepKey) ?? {},
        workspace,
        tree,
        baseline: tree === workspace.baselineTree,
        signal: stepSignal,
        requestId,
        secrets,
      },
      deps,
    )
      .then(async (res) => {
        state.set(row.stepKey, res.status);
        tree = res.tree;
        const finished = await deps.ledger.getStep(row.id);
        if (finished.output && res.status === 'succeeded') outputs.set(row.stepKey, finished.output);
        await emitStep(run, finished, deps);
      })
      .catch((err) => {
        // The ledger is unreachable, the runner is stopping during an approval (or a bug): stop the
        // other steps, give the run back for a retry.
        broken ??= err;
        controller.abort();
      })
      .finally(() => running.delete(row.stepKey));
    running.set(row.stepKey, p);
  };

  for (;;) {
    if (!broken) {
      const sched = template.steps.map((s) => ({
        key: s.id,
        needs: s.needs,
        writer: isWriter(deps.catalog[s.agent]),
        state: state.get(s.id) ?? 'pending',
      }));
      const { skip, start: ready } = nextActions(sched, deps.maxParallelSteps);
      for (const key of skip) {
        const row = byKey.get(key)!;
        await deps.ledger.skipStep(row.id, newUlid());
        // A step skipped on a resumed run may have asked something on its earlier attempt.
        await closeStepApprovals(run.id, row.id, 'the step was skipped: a step it needs failed', deps);
        state.set(key, 'skipped');
        await emitStep(run, await deps.ledger.getStep(row.id), deps);
      }
      // Steps may have ended while the skips were written: decide again from their new states, or a
      // step made ready meanwhile is never started and the loop below ends with it pending.
      if (skip.length) continue;
      for (const key of ready) {
        state.set(key, 'running');
        start(byKey.get(key)!);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (broken) throw broken instanceof RetryableError ? broken : new LedgerError(broken);
}

/** The gate's policy context for a run in this environment; each step replaces `autonomy` with the level its agent earned there (memory). */
export function policyFor(environment: Environment): PolicyContext {
  return { environment: environment.name, writes: environment.writes, actAloneFrom: environment.actAloneFrom, autonomy: 'assisted' };
}

async function refuse(
  run: RunRow,
  deps: RunnerDeps,
  code: ErrorCode,
  log: RunnerDeps['log'],
  why = 'this customer plane has no environment of that name',
): Promise<{ status: 'succeeded' | 'failed'; errorCode: ErrorCode }> {
  log.warn({ errorCode: code, environment: run.environment, template: run.template, why }, 'run refused by its environment');
  return failUnrun(run, deps, code, log);
}

/** The run fails before its steps (or, resuming, before the rest of them): the steps it never ran end skipped, not pending. */
async function failUnrun(
  run: RunRow,
  deps: RunnerDeps,
  code: ErrorCode,
  log: RunnerDeps['log'],
): Promise<{ status: 'succeeded' | 'failed'; errorCode: ErrorCode }> {
  await deps.ledger.abandonSteps(run.id, code);
  return finish(run, deps, 'failed', code, log);
}

async function emitStep(run: RunRow, s: StepRow, deps: RunnerDeps): Promise<void> {
  deps.events.emit('meta', stepFinishedEvent(run.id, s, await deps.ledger.patchCount(s.id)));
  const gate = gateEvent(run.id, s, await deps.ledger.gateTally(s.id, s.attempt), deps.clock());
  if (gate) deps.events.emit('meta', gate);
}

/** A resumed run sends its finished steps' events again (same ids): any lost in the crash arrive now. */
async function reemitSteps(run: RunRow, steps: StepRow[], deps: RunnerDeps): Promise<void> {
  for (const s of steps) if (s.finishedEventId && s.status !== 'running' && s.status !== 'pending') await emitStep(run, s, deps);
}

/**
 * The run's secrets, scoped to its environment's prefix: its scope's names and the values it may meet (its scope, its secret inputs, the
 * plane's own), for the gate, the executors and the masker. None when the plane has no provider and
 * the run no secret inputs.
 */
async function openSecrets(
  d: Dispatch,
  deps: RunnerDeps,
  claimed: ClaimedInputs | undefined,
  environment: Environment,
): Promise<RunSecrets | undefined> {
  const inputs = claimed?.secrets.names.length ? claimed.secrets : undefined;
  if (!deps.secrets && !inputs) return undefined;
  return openRunSecrets({
    provider: deps.secrets?.provider ?? NO_SECRETS,
    scope: deps.secrets?.scopeFor?.(d) ?? { prefix: environment.secrets.prefix },
    inputs,
    own: deps.secrets?.own,
    masking: deps.secrets?.masking,
  });
}

const NO_SECRETS: SecretsProvider = {
  get: async () => undefined,
  has: async () => false,
  names: async () => [],
  put: async () => {
    throw new Error('no secret store');
  },
  delete: async () => {},
};

/** The run as memory rolls it up: its outcome, and each step's (with whether the agent's level refused it something). */
async function finishedRun(
  run: RunRow,
  steps: StepRow[],
  final: { status: 'succeeded' | 'failed'; errorCode: ErrorCode },
  deps: RunnerDeps,
): Promise<FinishedRun> {
  const out: FinishedRun['steps'] = [];
  for (const s of steps) {
    const tally = await deps.ledger.gateTally(s.id, s.attempt);
    const refusedForLevel = s.status === 'failed' && tally.some((t) => t.reason === 'autonomy_level');
    // A person rejected something this step asked for: an override of the agent's judgment.
    const overridden = tally.some((t) => t.approval === 'rejected');
    out.push({
      id: s.id,
      stepKey: s.stepKey,
      agent: s.agent,
      status: s.status,
      errorCode: s.errorCode,
      llmCalls: s.llmCalls,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      findings: s.output?.findings.length ?? 0,
      refusedForLevel,
      overridden,
    });
  }
  return { runId: run.id, repo: run.repo, template: run.template, environment: run.environment, ...final, steps: out };
}

/** Ends the run (unless it already ended) and reports its outcome: the stored one, with the stored event id. */
export async function finish(
  run: RunRow,
  deps: RunnerDeps,
  status: 'succeeded' | 'failed',
  errorCode: ErrorCode,
  log: RunnerDeps['log'],
): Promise<{ status: 'succeeded' | 'failed'; errorCode: ErrorCode }> {
  const ended = await deps.ledger.finishRun(run.id, status, errorCode);
  // Secret inputs are for this run only: their values are deleted from the store now that it ended.
  await deps.inputs?.discardFor(run.id).catch((err) => log.error({ err }, 'could not delete the run’s secret inputs'));
  // The stored outcome wins: a run finished by an earlier delivery reports what it reported then.
  const stored = (await deps.ledger.getRun(run.id))!;
  const final = {
    status: stored.run.status === 'succeeded' ? ('succeeded' as const) : ('failed' as const),
    errorCode: stored.run.errorCode,
  };
  // Whatever the run still has pending is closed now, not left for a person until its deadline.
  await deps.broker.closeFor?.(
    { runId: run.id },
    final.status === 'succeeded'
      ? 'the run finished without this action'
      : `the run ended failed (${final.errorCode}) before anyone decided`,
  );
  const steps = stored.steps.filter((s) => s.status === 'succeeded' || s.status === 'failed').length;
  if (deps.memory) await deps.memory.finishRun(await finishedRun(stored.run, stored.steps, final, deps));
  const at = stored.run.finishedAt ?? deps.clock();
  deps.events.emit(
    'meta',
    workflowFinishedEvent(run.id, ended.eventId, run.template, final.status, final.errorCode, run.createdAt, at, steps),
  );
  await deps.events.flush();
  log.info({ status: final.status, errorCode: final.errorCode, steps }, 'workflow finished');
  return final;
}
