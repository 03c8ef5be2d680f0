import { type ErrorCode, ERROR_CODES, type RefusalCode } from '../../shared/boundary.ts';
import type { Db } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import type { Logger } from '../../shared/log.ts';
import type { AgentDefinition, AgentOutput, SyntaxService } from '../../agents/types.ts';
import type { ApprovalBroker } from '../gate/approval-broker.ts';
import { createGate } from '../gate/gate.ts';
import type { PolicyContext } from '../gate/policy.ts';
import type { Environment } from '../environments/environments.ts';
import { RetryableError } from '../../shared/worker-errors.ts';
import type { CommandGuard, CommandRunner } from '../guard/types.ts';
import type { RunnerLlm } from '../llm/types.ts';
import type { Memory } from '../memory/memory.ts';
import { createStepToolBox, StepFailure } from '../tools/toolbox.ts';
import { PathRejectedError, type Workspace } from '../workspace/workspace.ts';
import { noSpend, runLlmAgent, toolCallBudget } from './agent-loop.ts';
import { createStepJournal } from './ledger/journal.ts';
import type { RunLedger, StepRow } from './ledger/runs.ts';
import { createTally } from './run-events.ts';
import { maskedLlm } from '../llm/masked-llm.ts';
import type { RunSecrets } from '../secrets/run-secrets.ts';

/** Everything a step needs from the runner; the same for every step of every run. */
export type StepDeps = {
  db: Db;
  ledger: RunLedger;
  guard: CommandGuard;
  runner: CommandRunner;
  broker: ApprovalBroker;
  llm: RunnerLlm;
  syntax: SyntaxService;
  log: Logger;
  clock: () => number;
  fetch?: typeof fetch;
  /** Agent memory: the autonomy level each step runs at, model turns reused by content, the run's scratchpad. */
  memory?: Memory;
};

export type StepRun = {
  runId: string;
  tenant: string;
  requestId?: string;
  policy: PolicyContext;
  /** The run's named environment: its secret scope is what the step's commands may reference. */
  environment: Environment;
  /** The repository alias and template of the run (memory is kept per repository). */
  repo: string;
  template: string;
  step: StepRow;
  agent: AgentDefinition | undefined;
  inputs: Record<string, AgentOutput>;
  params: Record<string, string>;
  workspace: Workspace;
  /** The workspace tree id when the step starts. */
  tree: string;
  /** True when no earlier step of the run has changed the workspace (the step sees the repository as it is). */
  baseline: boolean;
  signal: AbortSignal;
  /** The run's secrets (references checked by the gate, substituted by the executor, masked everywhere); absent = none. */
  secrets?: RunSecrets;
};

/** A step stopped before it ended by its run's signal: not the step's failure, so it is not recorded; the run is retried. */
export class StepInterrupted extends RetryableError {
  constructor(cause: unknown) {
    super('step_interrupted', 'the step was stopped before it ended; the run goes back to the queue', { cause });
  }
}

export type StepResult = { status: 'succeeded' | 'failed'; errorCode: ErrorCode; tree: string };

/** An agent may change the workspace (so it runs alone) if any of its tools has an effect beyond reading. */
export function isWriter(agent: AgentDefinition | undefined): boolean {
  return (agent?.tools ?? []).some((t) => t !== 'list_files' && t !== 'read_file' && t !== 'search');
}

/**
 * Runs one attempt of one step: the agent with a ToolBox whose every call passes the gate and whose
 * effects are ledgered; the output checked against the agent's schema; the step recorded with its
 * findings, patches and counts. A failing step is put back: its changes to the workspace are undone.
 * Infrastructure failures (the ledger unreachable) and interruptions (the runner stopping while an
 * approval is pending) are thrown, so the run is retried, not failed.
 */
export async function runStep(r: StepRun, deps: StepDeps): Promise<StepResult> {
  const log = deps.log.child({ step: r.step.stepKey, agent: r.step.agent });
  // The level this agent has earned in this environment (meta-cognitive memory); without memory, the run's own.
  const policy: PolicyContext =
    deps.memory && r.agent ? { ...r.policy, autonomy: await deps.memory.levelOf(r.agent.name, r.policy.environment) } : r.policy;
  const scope = {
    runId: r.runId,
    stepId: r.step.id,
    repo: r.repo,
    environment: policy.environment,
    template: r.template,
    stepKey: r.step.stepKey,
  };
  const mem = deps.memory && r.agent ? deps.memory.openStep(scope, r.agent.name) : undefined;
  const t0 = deps.clock();
  const attempt = await deps.ledger.startStep(r.step.id, r.tree);
  const masker = r.secrets?.masker;
  const journal = createStepJournal(deps.db, { runId: r.runId, stepId: r.step.id, attempt }, masker);
  const prior = await journal.previous();
  const tally = createTally();
  // The model calls and tokens spent, whether the step ends well or not.
  const spent = noSpend();
  let output: AgentOutput | undefined;
  let errorCode: ErrorCode = 'none';
  let tree = r.tree;
  let stats = { calls: 0, refusals: 0 } as { calls: number; refusals: number; lastRefusal?: string };
  try {
    if (!r.agent) throw Object.assign(new Error('agent not in this release'), { code: 'unknown_agent' });
    const agent = r.agent;
    const gate = createGate({
      guard: deps.guard,
      sandbox: deps.runner.sandbox,
      broker: deps.broker,
      secrets: r.secrets,
      record: (d) => (tally.add(d), journal.recordDecision(d)),
    });
    const gated = createStepToolBox({
      gate,
      journal,
      workspace: r.workspace,
      runner: deps.runner,
      agent,
      policy,
      maxCalls: agent.kind === 'llm' ? toolCallBudget(agent) : agent.budget.maxSteps,
      treeBefore: r.tree,
      prior,
      onDecision: (d) => tally.add(d),
      signal: r.signal,
      log,
      fetch: deps.fetch,
      secrets: r.secrets ? { resolve: (name) => r.secrets!.resolve(name), masker: r.secrets.masker } : undefined,
    });
    const tools = mem ? mem.trace.wrap(gated) : gated;
    try {
      if (agent.kind === 'llm') {
        const loop = await runLlmAgent(agent, {
          llm: masker ? maskedLlm(deps.llm, masker) : deps.llm,
          tools,
          journal,
          priorTurns: prior.turns,
          inputs: r.inputs,
          params: r.params,
          secretNames: r.secrets?.names(),
          tenant: r.tenant,
          requestId: r.requestId,
          signal: r.signal,
          log,
          memo: mem?.memo,
          spent,
        });
        output = loop.output;
      } else {
        const raw = await agent.run({
          workflowId: r.runId,
          stepId: r.step.id,
          agent: agent.name,
          tools,
          inputs: r.inputs,
          params: r.params,
          syntax: deps.syntax,
          log,
          signal: r.signal,
        });
        const checked = agent.output.safeParse(raw);
        if (!checked.success) throw new StepFailure('invalid_output', 'the agent returned output that does not match its schema');
        output = checked.data;
      }
    } finally {
      stats = tools.stats();
      tree = tools.currentTree();
      // A ledger write that failed inside a tool call may have been swallowed by the agent: never record such a step.
      journal.throwIfBroken();
      tools.throwIfSticky();
    }
  } catch (err) {
    // The ledger or the approvals table unreachable, or the runner stopping during an approval: the run
    // goes back to the queue and resumes; the step is not recorded as failed.
    if (err instanceof RetryableError) throw err;
    // Stopped from outside (the run lock lost, or another step that could not reach the ledger): whatever
    // the agent threw on its way out, the step did not fail; the run resumes it.
    if (r.signal.aborted) throw r.signal.reason instanceof RetryableError ? r.signal.reason : new StepInterrupted(err);
    errorCode = codeOf(err, stats.lastRefusal);
    log.warn({ errorCode, err: errorCode === 'agent_error' ? err : undefined }, 'step failed');
  }

  const succeeded = errorCode === 'none';
  let appliedDiff = '';
  if (succeeded) appliedDiff = await r.workspace.diff(r.tree, tree);
  else if (tree !== r.tree) {
    await r.workspace.restore(r.tree);
    tree = r.tree;
  }
  // The run record (output, findings, patches, the applied diff) is written with the run's secrets masked.
  if (masker) {
    output = masker.maskDeep(output);
    appliedDiff = masker.mask(appliedDiff);
  }
  const rows = tally.rows();
  await deps.ledger.finishStep(r.runId, r.step.id, {
    status: succeeded ? 'succeeded' : 'failed',
    errorCode,
    durationMs: Math.max(0, deps.clock() - t0),
    output: succeeded ? output : undefined,
    appliedDiff,
    treeAfter: tree,
    llmCalls: spent.llmCalls,
    inputTokens: spent.inputTokens,
    outputTokens: spent.outputTokens,
    toolCalls: stats.calls,
    refusals: stats.refusals,
    finishedEventId: newUlid(),
    gateEventId: rows.length ? newUlid() : '',
  });
  // An earlier attempt of this step may have asked for an action this one did not take again.
  await closeStepApprovals(
    r.runId,
    r.step.id,
    succeeded ? 'the step finished without this action' : `the step failed (${errorCode}) before anyone decided`,
    deps,
  );
  if (mem && r.agent) {
    await deps.memory!.closeStep(
      scope,
      { agent: r.agent.name, autonomy: policy.autonomy, succeeded, baseline: r.baseline, output, turnsLive: spent.llmCalls },
      mem,
    );
  }
  return { status: succeeded ? 'succeeded' : 'failed', errorCode, tree };
}

/**
 * Closes what a step that ended still has pending. A failure here is only logged: the run's end
 * closes everything of the run again, and that one is retried until it holds.
 */
export async function closeStepApprovals(runId: string, stepId: string, reason: string, deps: Pick<StepDeps, 'broker' | 'log'>) {
  await deps.broker
    .closeFor?.({ runId, stepId }, reason)
    .catch((err) => deps.log.warn({ err, workflowId: runId, stepId }, 'could not close the step’s pending approvals; the run’s end will'));
}

const REFUSAL_TO_ERROR: Partial<Record<RefusalCode, ErrorCode>> = {
  invalid_arguments: 'invalid_tool_arguments',
  budget_exhausted: 'budget_exhausted',
  approval_rejected: 'approval_rejected',
  approval_timeout: 'approval_timeout',
};

/** The step's error code: the failure's own code, else what the last refusal says the agent tripped on. */
export function codeOf(err: unknown, lastRefusal?: string): ErrorCode {
  if (err instanceof StepFailure) return err.code;
  if (err instanceof PathRejectedError) return 'path_rejected';
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) && code !== 'none') return code as ErrorCode;
  if (lastRefusal) return REFUSAL_TO_ERROR[lastRefusal as RefusalCode] ?? 'tool_denied';
  return 'agent_error';
}
