import type { AgentName, GateDecision, RefusalCode, ToolName } from '../../shared/boundary.ts';
import { TOOL_NAMES } from '../../shared/boundary.ts';
import { type Consequence, type Effect, TOOLS, type ToolInput, toolInputSchemas } from '../../agents/tools.ts';
import { envSecretName } from '../../agents/command-env.ts';
import { secretReferences } from '../secrets/substitute.ts';
import type { CommandGuard, CommandRunner, ResolvedCommand } from '../guard/types.ts';
import type { PathCheck } from '../workspace/paths.ts';
import type { ActionPreview, ApprovalBroker, ApprovalOutcome } from './approval-broker.ts';
import { diffTargets } from './diff-paths.ts';
import { decidePolicy, type PolicyContext } from './policy.ts';
import { fileChangeDiff } from './preview.ts';

/**
 * THE GATE: the one function every tool call of every agent passes before anything happens — reads,
 * searches, file writes, patches, deletes, commands, git and network alike. In order: the budget, the
 * agent's allow-list (default deny), the tool's typed input, the path check, the command guard and
 * secret references, then the environment/autonomy policy, which answers allow, ask or deny. An `ask`
 * goes to the approval broker and runs only if a person approved it. Every decision is recorded
 * (locally, with the call) and counted by reason code (only the counts cross the boundary).
 */

/** What an allowed call may do, resolved by the gate: executors act on this, never on the raw input. */
export type PreparedCall =
  | { tool: 'list_files'; input: ToolInput<'list_files'> }
  | { tool: 'read_file'; input: ToolInput<'read_file'>; abs: string }
  | { tool: 'search'; input: ToolInput<'search'> }
  | { tool: 'write_file'; input: ToolInput<'write_file'>; abs: string }
  | { tool: 'apply_patch'; input: ToolInput<'apply_patch'>; paths: string[] }
  | { tool: 'delete_file'; input: ToolInput<'delete_file'>; abs: string }
  | { tool: 'run_command'; input: ToolInput<'run_command'>; command: ResolvedCommand }
  | { tool: 'git'; input: ToolInput<'git'>; command: ResolvedCommand }
  | { tool: 'fetch_url'; input: ToolInput<'fetch_url'>; url: URL };

/** The key a decision is counted under: a tool from the closed list, or `unlisted` for a name that is not one. */
export type ToolKey = ToolName | 'unlisted';
export type ApprovalState = 'none' | ApprovalOutcome;

export type DecisionRecord = {
  runId: string;
  stepId: string;
  agent: AgentName;
  tool: ToolKey;
  decision: GateDecision;
  reason: RefusalCode;
  approval: ApprovalState;
  /** Call sequence number within the step's attempt (joins the decision to its tool call). */
  seq: number;
};

export type GateAgent = { name: AgentName; tools: readonly ToolName[]; programs?: readonly string[] };

export type GateRequest = {
  runId: string;
  stepId: string;
  seq: number;
  agent: GateAgent;
  call: { tool: string; input: unknown };
  workspace: { root: string; check(rel: unknown): Promise<PathCheck> };
  policy: PolicyContext;
  budget: { used: number; max: number };
  signal: AbortSignal;
};

export type Authorized = {
  ok: true;
  call: PreparedCall;
  effect: Effect;
  consequences: readonly Consequence[];
  /** Could reach outside the workspace (network, push, …): after a crash it is never re-run blindly. */
  external: boolean;
  approval: ApprovalState;
};
export type Refused = { ok: false; decision: 'deny' | 'ask'; reason: RefusalCode; message: string; approval: ApprovalState };

export type GateDeps = {
  guard: CommandGuard;
  sandbox: CommandRunner['sandbox'];
  broker: ApprovalBroker;
  /**
   * The run's secrets: a command may reference a secret of the run's scope (its environment's prefix) as {{secret:NAME}}, in its
   * argv or (run_command) as an `env` value; the name is checked here, the value is put in only by the executor. Absent: every
   * reference is refused.
   */
  secrets?: { has(name: string): boolean | Promise<boolean> };
  record(decision: DecisionRecord): void | Promise<void>;
};

type Checked =
  | { ok: false; reason: RefusalCode; message: string }
  | {
      ok: true;
      call: PreparedCall;
      consequences: readonly Consequence[];
      runsRepositoryCode: boolean;
      preview: ActionPreview;
      /** The file change as a unified diff, computed only when a person is asked. */
      diff?: () => Promise<string>;
    };

export type Gate = { authorize(req: GateRequest): Promise<Authorized | Refused> };

export function createGate(deps: GateDeps): Gate {
  async function authorize(req: GateRequest): Promise<Authorized | Refused> {
    const toolKey: ToolKey = (TOOL_NAMES as readonly string[]).includes(req.call.tool) ? (req.call.tool as ToolName) : 'unlisted';
    const finish = async (
      decision: GateDecision,
      reason: RefusalCode,
      approval: ApprovalState,
      result: Authorized | Omit<Refused, 'approval'>,
    ) => {
      await deps.record({
        runId: req.runId,
        stepId: req.stepId,
        agent: req.agent.name,
        tool: toolKey,
        decision,
        reason,
        approval,
        seq: req.seq,
      });
      return result.ok ? result : { ...result, approval };
    };
    const deny = (reason: RefusalCode, message: string) => finish('deny', reason, 'none', { ok: false, decision: 'deny', reason, message });

    if (req.budget.used >= req.budget.max) return deny('budget_exhausted', `the step has used its ${req.budget.max} tool calls`);
    if (toolKey === 'unlisted' || !req.agent.tools.includes(toolKey)) {
      return deny(
        'tool_not_allowed',
        `this agent may not call ${toolKey === 'unlisted' ? 'that tool' : toolKey}; its tools: ${req.agent.tools.join(', ')}`,
      );
    }
    const tool = toolKey;
    const parsed = toolInputSchemas[tool].safeParse(req.call.input);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
      return deny('invalid_arguments', `invalid arguments for ${tool}: ${issues.join('; ')}`);
    }
    const checked = await checkCall(tool, parsed.data, req, deps);
    if (!checked.ok) return deny(checked.reason, checked.message);

    const spec = TOOLS[tool];
    const consequences = [...new Set([...spec.consequences, ...checked.consequences])];
    const policy = decidePolicy(
      { effect: spec.effect, consequences, runsRepositoryCode: checked.runsRepositoryCode, sandbox: deps.sandbox },
      req.policy,
    );
    const external = spec.effect === 'network' || consequences.length > 0 || (checked.runsRepositoryCode && deps.sandbox === 'none');
    const allowed: Authorized = { ok: true, call: checked.call, effect: spec.effect, consequences, external, approval: 'none' };
    if (policy.decision === 'allow') return finish('allow', 'allowed', 'none', allowed);
    if (policy.decision === 'deny')
      return deny(
        policy.reason,
        `the ${req.policy.environment} environment's policy refuses this at autonomy level ${req.policy.autonomy}`,
      );

    const preview = checked.diff ? { ...checked.preview, diff: await checked.diff() } : checked.preview;
    const answer = await deps.broker.request({
      runId: req.runId,
      stepId: req.stepId,
      seq: req.seq,
      agent: req.agent.name,
      tool,
      reason: policy.reason,
      consequences,
      preview,
      policy: req.policy,
      signal: req.signal,
    });
    if (answer.outcome === 'approved') return finish('ask', policy.reason, 'approved', { ...allowed, approval: 'approved' });
    const reason: RefusalCode = answer.outcome === 'timeout' ? 'approval_timeout' : 'approval_rejected';
    return finish('ask', policy.reason, answer.outcome, {
      ok: false,
      decision: 'ask',
      reason,
      message: `this action needs a person's approval (${policy.reason}) and was not approved: ${answer.note}`,
    });
  }
  return { authorize };
}

async function checkCall(tool: ToolName, input: unknown, req: GateRequest, deps: GateDeps): Promise<Checked> {
  const none = { consequences: [] as Consequence[], runsRepositoryCode: false };
  const path = async (rel: string) => req.workspace.check(rel);
  switch (tool) {
    case 'list_files':
    case 'search': {
      const i = input as ToolInput<'list_files'>;
      if (i.dir !== undefined) {
        const p = await path(i.dir);
        if (!p.ok) return p;
      }
      return { ok: true, call: { tool, input } as PreparedCall, ...none, preview: { tool } };
    }
    case 'read_file':
    case 'write_file':
    case 'delete_file': {
      const i = input as ToolInput<'read_file'>;
      const p = await path(i.path);
      if (!p.ok) return p;
      if (tool === 'read_file' && i.startLine !== undefined && i.endLine !== undefined && i.endLine < i.startLine) {
        return { ok: false, reason: 'invalid_arguments', message: 'endLine is before startLine' };
      }
      const next = tool === 'write_file' ? (input as ToolInput<'write_file'>).content : null;
      return {
        ok: true,
        call: { tool, input, abs: p.abs } as PreparedCall,
        ...none,
        preview: { tool, paths: [p.rel] },
        diff: tool === 'read_file' ? undefined : () => fileChangeDiff(p.rel, p.abs, next),
      };
    }
    case 'apply_patch': {
      const i = input as ToolInput<'apply_patch'>;
      const targets = diffTargets(i.diff);
      if (!targets || targets.paths.length === 0)
        return { ok: false, reason: 'invalid_arguments', message: 'diff has no file headers (diff --git a/… b/…, --- a/… / +++ b/…)' };
      for (const t of targets.paths) {
        const p = await path(t);
        if (!p.ok) return p;
      }
      return {
        ok: true,
        call: { tool, input: i, paths: targets.paths },
        consequences: targets.deletes ? ['delete'] : [],
        runsRepositoryCode: false,
        preview: { tool, paths: targets.paths, diff: i.diff },
      };
    }
    case 'run_command':
    case 'git': {
      const policy = { programs: tool === 'git' ? ['git'] : (req.agent.programs ?? []) };
      const text = tool === 'git' ? (input as ToolInput<'git'>).args.join(' ') : (input as ToolInput<'run_command'>).command;
      // run_command's env values are each one reference (the schema saw to that): checked exactly like the argv's.
      const env = tool === 'run_command' ? (input as ToolInput<'run_command'>).env : undefined;
      const secrets = [...new Set([...secretReferences(text), ...Object.values(env ?? {}).map((v) => envSecretName(v)!)])];
      for (const name of secrets) {
        const known = await Promise.resolve(deps.secrets?.has(name)).catch(() => undefined);
        if (known === undefined && deps.secrets)
          return {
            ok: false,
            reason: 'secret_unknown',
            message: `the secret store could not be reached to check ${name}; try again later`,
          };
        if (!known) return { ok: false, reason: 'secret_unknown', message: `the command references a secret this run cannot use: ${name}` };
      }
      const verdict =
        tool === 'git'
          ? deps.guard.checkArgv(['git', ...(input as ToolInput<'git'>).args], policy)
          : deps.guard.check((input as ToolInput<'run_command'>).command, policy);
      if (!verdict.ok) return { ok: false, reason: verdict.reason, message: `the command guard refused it: ${verdict.detail}` };
      for (const r of verdict.command.redirects) {
        const p = await path(r.path);
        if (!p.ok) return p;
      }
      return {
        ok: true,
        call: { tool, input, command: verdict.command } as PreparedCall,
        consequences: verdict.command.consequences,
        runsRepositoryCode: verdict.command.runsRepositoryCode,
        preview: {
          tool,
          argv: verdict.command.pipeline,
          cwd: req.workspace.root,
          paths: verdict.command.redirects.map((r) => r.path),
          ...(secrets.length ? { secrets } : {}),
          ...(env && Object.keys(env).length ? { env } : {}),
        },
      };
    }
    case 'fetch_url': {
      const i = input as ToolInput<'fetch_url'>;
      let url: URL;
      try {
        url = new URL(i.url);
      } catch {
        return { ok: false, reason: 'invalid_arguments', message: 'not a URL' };
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return { ok: false, reason: 'network_not_allowed', message: 'only http and https URLs can be fetched' };
      return { ok: true, call: { tool, input: i, url }, ...none, preview: { tool, url: url.toString() } };
    }
  }
}
