import type { ToolName } from '../../shared/boundary.ts';
import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import type { ToolBox } from '../../agents/types.ts';
import type { Logger } from '../../shared/log.ts';
import type { Authorized, DecisionRecord, Gate, GateAgent, Refused } from '../gate/gate.ts';
import type { PolicyContext } from '../gate/policy.ts';
import type { CommandRunner } from '../guard/types.ts';
import { inputHash, type PriorEffect, type StepJournal } from '../runner/ledger/journal.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { executeTool } from './execute.ts';
import { type ExecutorContext, failed } from './types.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import { unmaskReferences } from '../secrets/unmask.ts';
import { RetryableError } from '../../shared/worker-errors.ts';

/** A step that cannot go on: carries the error code the step fails with. */
export class StepFailure extends AgentplaneError {
  declare readonly code:
    | 'effect_uncommitted'
    | 'workspace_error'
    | 'workspace_secret_unreplayable'
    | 'budget_exhausted'
    | 'invalid_output'
    | 'llm_unavailable'
    | 'llm_rejected'
    | 'approval_timeout';
  constructor(code: StepFailure['code'], message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
  }
}

export type StepToolBox = ToolBox & {
  /** The same call path for input that has not been typed yet (the model's tool calls). */
  callRaw(tool: string, input: unknown): Promise<ToolResult>;
  stats(): { calls: number; refusals: number; lastRefusal?: string };
  /** The workspace tree id after the last effect (the step's end state). */
  currentTree(): string;
  /**
   * What must end the step whatever the agent did with it: an approval that expired (the step fails
   * with `approval_timeout`), a replay of the previous attempt that cannot go on (`effect_uncommitted`,
   * `workspace_error`, `workspace_secret_unreplayable`), or a retryable interruption (the runner
   * stopping while an approval was pending, the approvals table unreachable) that gives the run back
   * to the queue. Thrown from the call too, but an agent could swallow that, so the step throws it
   * again when the agent is done.
   */
  throwIfSticky(): void;
};

/**
 * The ToolBox a step's agent gets: every call goes through the gate, and every call that changes
 * something is an effect in the ledger (planned → started → committed, with its result and the
 * workspace diff it made). When the step runs again after a crash, committed effects of the previous
 * attempt are replayed from the ledger — their diff re-applied, their result returned — instead of
 * run again; one that started and never committed is re-run only if it could not reach outside the
 * workspace (its partial change was discarded with the workspace), otherwise the step fails with
 * `effect_uncommitted`.
 */
export function createStepToolBox(deps: {
  gate: Gate;
  journal: StepJournal;
  workspace: Workspace;
  runner: CommandRunner;
  agent: GateAgent;
  policy: PolicyContext;
  maxCalls: number;
  treeBefore: string;
  prior: { effects: Map<number, PriorEffect>; decisions: Map<number, DecisionRecord> };
  onDecision(d: DecisionRecord): void;
  signal: AbortSignal;
  log: Logger;
  fetch?: typeof fetch;
  /** The run's secrets: substituted by the command executor, masked in every result before anyone sees it. */
  secrets?: ExecutorContext['secrets'];
}): StepToolBox {
  let seq = 0;
  let refusals = 0;
  let lastRefusal: string | undefined;
  let tree = deps.treeBefore;
  let replaying = deps.prior.effects.size > 0;
  let sticky: Error | undefined;

  async function record(
    s: number,
    tool: string,
    input: unknown,
    verdict: Authorized | Refused | 'replayed',
    result: ToolResult,
    t0: number,
  ) {
    if (!result.ok && result.decision !== 'error') {
      refusals += 1;
      lastRefusal = result.reason;
    }
    const decision = verdict === 'replayed' ? deps.prior.decisions.get(s) : undefined;
    await deps.journal.recordToolCall({
      seq: s,
      tool,
      input,
      decision:
        verdict === 'replayed'
          ? (decision?.decision ?? 'allow')
          : verdict.ok
            ? verdict.approval === 'none'
              ? 'allow'
              : 'ask'
            : verdict.decision,
      reason: verdict === 'replayed' ? (decision?.reason ?? 'allowed') : verdict.ok ? 'allowed' : verdict.reason,
      approval: verdict === 'replayed' ? (decision?.approval ?? 'none') : verdict.approval,
      result,
      durationMs: Date.now() - t0,
      replayed: verdict === 'replayed',
    });
  }

  /** The previous attempt's entry for this call, if it is the same call; otherwise replay ends here. */
  async function replayed(s: number, tool: string, input: unknown): Promise<ToolResult | undefined> {
    if (!replaying) return undefined;
    const prior = deps.prior.effects.get(s);
    if (!prior) return undefined; // a read in the previous attempt, or past its end: run it live
    if (prior.tool !== tool || prior.inputHash !== inputHash(tool, input)) {
      // The step took another path this time (possible only for live model turns): from here on, live.
      replaying = false;
      for (const p of deps.prior.effects.values()) if (p.seq >= s && p.status !== 'committed') await deps.journal.abandonEffect(p.id);
      return undefined;
    }
    if (prior.status === 'committed' && prior.result) {
      // The ledger keeps the diff masked: an effect that wrote one of the run's secrets is replayed with it filled in.
      const masked = (prior.diff ?? '').includes('[masked:');
      const secrets = deps.secrets;
      const diff = masked && secrets ? await unmaskReferences(prior.diff!, (name) => secrets.resolve(name)) : (prior.diff ?? '');
      const applied = await deps.workspace.applyDiff(diff).then(
        () => true,
        (err) => {
          if (!masked) throw err;
          return false;
        },
      );
      const now = applied ? await deps.workspace.snapshot() : '';
      if (!applied || (prior.treeAfter && now !== prior.treeAfter))
        throw masked
          ? new StepFailure(
              'workspace_secret_unreplayable',
              'the replayed effect wrote a secret its masked record cannot give back (rotated or removed since, or written encoded)',
            )
          : new StepFailure('workspace_error', 'the replayed effect did not give the recorded workspace');
      tree = now;
      await deps.journal.replayEffect(prior);
      const d = deps.prior.decisions.get(s);
      if (d) {
        await deps.journal.recordDecision({ ...d, seq: s });
        deps.onDecision(d);
      }
      return prior.result;
    }
    if (prior.status === 'started' && prior.external) {
      throw new StepFailure(
        'effect_uncommitted',
        'an effect that could reach outside the workspace started and never committed; it is not run again',
      );
    }
    // Started and never committed, local only: the workspace it changed was discarded, so run it again.
    await deps.journal.abandonEffect(prior.id);
    return undefined;
  }

  /** A result as the agent, the model and the ledger may see it: every secret the run knows, masked. */
  function masked(result: ToolResult): ToolResult {
    const m = deps.secrets?.masker;
    if (!m) return result;
    if (!result.ok) return { ...result, message: m.mask(result.message) };
    return {
      ...result,
      output: result.truncated ? m.maskCut(result.output) : m.mask(result.output),
      ...(result.data === undefined ? {} : { data: m.maskDeep(result.data) }),
    };
  }

  async function callRaw(tool: string, input: unknown): Promise<ToolResult> {
    // The step is already over (an approval expired, the runner is stopping): nothing more is done or asked.
    if (sticky) throw sticky;
    const s = ++seq;
    const t0 = Date.now();
    // A replay that cannot go on (an external effect never committed, a workspace not rebuilt as recorded)
    // ends the step: an agent that swallowed the error would otherwise run that effect again, or act on a
    // workspace the ledger does not describe.
    const fromLedger = await replayed(s, tool, input).catch((err: unknown) => {
      throw (sticky ??= err as Error);
    });
    if (fromLedger) {
      await record(s, tool, input, 'replayed', fromLedger, t0);
      return fromLedger;
    }
    const verdict = await deps.gate
      .authorize({
        runId: deps.journal.runId,
        stepId: deps.journal.stepId,
        seq: s,
        agent: deps.agent,
        call: { tool, input },
        workspace: deps.workspace,
        policy: deps.policy,
        budget: { used: s - 1, max: deps.maxCalls },
        signal: deps.signal,
      })
      .catch((err: unknown) => {
        if (err instanceof RetryableError) sticky ??= err;
        throw err;
      });
    if (!verdict.ok) {
      const result: ToolResult = { ok: false, decision: verdict.decision, reason: verdict.reason, message: verdict.message };
      await record(s, tool, input, verdict, result, t0);
      // Nobody decided in time: the action is denied and the step fails; it is never approved by default.
      if (verdict.reason === 'approval_timeout') throw (sticky ??= new StepFailure('approval_timeout', verdict.message));
      return result;
    }
    const ctx: ExecutorContext = {
      workspace: deps.workspace,
      runner: deps.runner,
      signal: deps.signal,
      fetch: deps.fetch,
      secrets: deps.secrets,
    };
    const execute = async () => masked(await executeTool(verdict.call, ctx).catch((err) => errorResult(err, deps.log, tool)));
    if (verdict.effect === 'read') {
      const result = await execute();
      await record(s, tool, input, verdict, result, t0);
      return result;
    }
    const id = await deps.journal.planEffect({
      seq: s,
      tool,
      inputHash: inputHash(tool, input),
      external: verdict.external,
      treeBefore: tree,
    });
    await deps.journal.startEffect(id);
    const result = await execute();
    const after = await deps.workspace.snapshot();
    const diff = await deps.workspace.diff(tree, after);
    await deps.journal.commitEffect(id, { result, diff, treeAfter: after });
    tree = after;
    await record(s, tool, input, verdict, result, t0);
    return result;
  }

  return {
    call: <T extends ToolName>(tool: T, input: ToolInput<T>) => callRaw(tool, input),
    callRaw,
    stats: () => ({ calls: seq, refusals, lastRefusal }),
    currentTree: () => tree,
    throwIfSticky(): void {
      if (sticky) throw sticky;
    },
  };
}

function errorResult(err: unknown, log: Logger, tool: string): ToolResult {
  if (err instanceof StepFailure) throw err;
  log.warn({ tool, err }, 'tool execution failed');
  return failed('failed', 'the tool failed to run');
}
