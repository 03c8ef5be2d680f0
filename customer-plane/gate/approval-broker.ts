import type { AgentName, RefusalCode, ToolName } from '../../shared/boundary.ts';
import type { Consequence } from '../../agents/tools.ts';
import type { PolicyContext } from './policy.ts';

/**
 * Where the gate takes an `ask`: a person approves or rejects the action. The gate waits for the
 * answer; only `approved` lets the action run. The customer plane wires the stored broker
 * (customer-plane/approvals/: pending approvals in its own Postgres schema, with the environment's
 * deadline, decided through the local API or `npm run approvals`); the rejecting broker below is for
 * tests and tools that have no approver.
 */
export type ActionPreview = {
  tool: ToolName;
  /** Commands: the exact argv arrays that would run, and where. */
  argv?: string[][];
  cwd?: string;
  /** Workspace-relative paths the action writes or deletes. */
  paths?: string[];
  /** Network: the URL. */
  url?: string;
  /** File changes: the unified diff. */
  diff?: string;
  /** Commands: the names of the secrets the argv and env reference (never their values; argv and env show the references). */
  secrets?: string[];
  /** run_command: the variables it sets, each to a secret reference as the agent wrote it (never a value). */
  env?: Record<string, string>;
};

export type ApprovalRequest = {
  runId: string;
  stepId: string;
  /** The call's sequence number in its step: with the step and the action, what identifies the ask across a resumed attempt. */
  seq: number;
  agent: AgentName;
  tool: ToolName;
  /** Why the gate asks (consequential_action, network_not_allowed, sandbox_unavailable, environment_policy). */
  reason: RefusalCode;
  consequences: readonly Consequence[];
  preview: ActionPreview;
  policy: PolicyContext;
  signal: AbortSignal;
};

export type ApprovalOutcome = 'approved' | 'rejected' | 'timeout';
export type ApprovalAnswer = { outcome: ApprovalOutcome; note: string };

export type ApprovalBroker = {
  request(req: ApprovalRequest): Promise<ApprovalAnswer>;
  /**
   * The run (or one of its steps) ended: whatever it still has pending is closed with `reason`, so no
   * person is left deciding an action that can no longer run. Brokers that store nothing need not have it.
   */
  closeFor?(scope: { runId: string; stepId?: string }, reason: string): Promise<void>;
};

/** The default: nobody can approve, so every consequential action is refused at once, with a reason. */
export function createRejectingBroker(): ApprovalBroker {
  return { request: async () => ({ outcome: 'rejected', note: 'rejected: no approver is configured for this customer plane' }) };
}
