import { z } from 'zod';
import { calendarDay } from './calendar-day.ts';
import { ULID_RE, UUID_RE } from './ids.ts';
import type { UpKind } from './subjects.ts';

/**
 * The boundary contract: the complete list of what may leave a customer plane. Every field is an
 * ID, a member of a closed list, a hash, a number or a timestamp. There is deliberately no string
 * type here that accepts free text, so source, prompts, outputs, paths and secrets cannot be
 * expressed in an up message. Adding a field means extending this file, in review.
 */

// Closed lists. Names here are product vocabulary, not customer data.
/**
 * The agent catalog's names (agents/catalog/<name>.ts, one file each). Deterministic agents work with
 * no LLM; the others run through the tool-calling loop.
 */
export const AGENT_NAMES = [
  // deterministic
  'indexer',
  'dependency-auditor',
  'secret-scanner',
  'injection-scanner',
  'license-checker',
  'test-runner',
  'lint-runner',
  'complexity-analyzer',
  'patch-applier',
  'change-summarizer',
  'config-auditor',
  'dead-code-finder',
  // LLM-backed
  'planner',
  'reviewer',
  'bug-diagnoser',
  'refactorer',
  'test-writer',
  'doc-writer',
  'security-reviewer',
  'fixer',
  'dependency-upgrader',
  'performance-reviewer',
  'api-reviewer',
  'error-handling-reviewer',
  'pr-describer',
  'triager',
  'architecture-explainer',
  'migration-planner',
] as const;
/** Workflow templates: DAGs of agent steps (agents/templates/). */
export const TEMPLATES = [
  'code-review',
  'index-only',
  'security-audit',
  'diagnose-and-fix',
  'add-tests',
  'dependency-audit',
  'refactor',
  'document',
] as const;
export const WORKFLOW_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
/** The tools an agent may be allowed to call (agents/tools.ts has their typed inputs and effects). */
export const TOOL_NAMES = [
  'list_files',
  'read_file',
  'search',
  'write_file',
  'apply_patch',
  'delete_file',
  'run_command',
  'git',
  'fetch_url',
] as const;
/** What the gate answered for one tool call. */
export const GATE_DECISIONS = ['allow', 'ask', 'deny'] as const;
/**
 * Why the gate answered ask or deny (or `allowed` when it allowed). Codes, never the refused text: the
 * command, path or argument a model asked for stays in the customer plane.
 */
export const REFUSAL_CODES = [
  'allowed',
  // the agent and the call
  'tool_not_allowed',
  'invalid_arguments',
  'budget_exhausted',
  // paths
  'path_invalid',
  'path_outside_workspace',
  'path_symlink_escape',
  // the command guard
  'command_unparseable',
  'command_substitution',
  'shell_wrapper',
  'program_not_allowed',
  'program_path_qualified',
  'subcommand_not_allowed',
  'flag_not_allowed',
  'variable_expansion',
  'env_assignment',
  'redirect_not_allowed',
  'compound_not_allowed',
  'obfuscated_word',
  'glob_expansion',
  'sandbox_unavailable',
  // consequential actions and policy
  'consequential_action',
  'network_not_allowed',
  'environment_policy',
  'autonomy_level',
  'approval_rejected',
  'approval_timeout',
  'secret_unknown',
] as const;
export const FINDING_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
/** What became of a gate `ask`: `none` for calls that were allowed or denied outright. */
export const APPROVAL_OUTCOMES = ['none', 'approved', 'rejected', 'timeout'] as const;
/** Gate decisions are counted per tool; a call naming no tool of the closed list is counted as `unlisted`. */
export const GATE_TOOL_KEYS = [...TOOL_NAMES, 'unlisted'] as const;
export const ERROR_CODES = [
  'none',
  'repo_not_found',
  'workspace_error',
  // a resumed run: a completed step's change holds a secret that its masked record cannot give back
  // (rotated since, or written in an encoded form), so its workspace cannot be rebuilt
  'workspace_secret_unreplayable',
  'path_rejected',
  'llm_unavailable',
  'llm_rejected',
  'tool_denied',
  'agent_error',
  'timeout',
  'unknown_template',
  'unknown_agent',
  'invalid_tool_arguments',
  'invalid_output',
  'budget_exhausted',
  'dependency_failed',
  'approval_timeout',
  'approval_rejected',
  'unknown_environment',
  // the run's environment does not allow its template, or (production) the template is not reviewed
  // or changed since it was reviewed
  'template_not_allowed',
  'template_not_reviewed',
  'effect_uncommitted',
  'delivery_exhausted',
  'inputs_not_found',
  'internal',
] as const;
export const METRIC_NAMES = [
  'workflow.duration_ms',
  'step.duration_ms',
  'workflow.errors',
  'llm.tokens.input',
  'llm.tokens.output',
  'llm.tokens.cached_input',
  'runner.cpu.utilization',
  'runner.memory.rss_bytes',
] as const;
export const MODEL_TIERS = ['core', 'ultra'] as const;
export const PROVIDERS = ['openai', 'anthropic'] as const;
export const PATTERN_OUTCOMES = ['accepted', 'rejected', 'retried'] as const;

export type AgentName = (typeof AGENT_NAMES)[number];
export type TemplateName = (typeof TEMPLATES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
export type MetricName = (typeof METRIC_NAMES)[number];
export type ToolName = (typeof TOOL_NAMES)[number];
export type GateDecision = (typeof GATE_DECISIONS)[number];
export type RefusalCode = (typeof REFUSAL_CODES)[number];
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];
export type GateToolKey = (typeof GATE_TOOL_KEYS)[number];

const ulid = z.string().regex(ULID_RE, 'not a ULID');
const uuid = z.string().regex(UUID_RE, 'not a UUID');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256 hex digest');
const epochMs = z.number().int().min(1_500_000_000_000).max(4_102_444_800_000);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Counts stored in Postgres `integer` columns (workflow steps, LLM calls per step): a larger one would fail the insert. */
const int32Count = z.number().int().min(0).max(2_147_483_647);
const duration = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600 * 1000);
const day = calendarDay();
const findingCounts = z.strictObject({ info: count, low: count, medium: count, high: count, critical: count });
/** One row of a step's gate tally: how many calls of a tool got this decision for this reason. */
export const gateTallySchema = z.strictObject({
  tool: z.enum(GATE_TOOL_KEYS),
  decision: z.enum(GATE_DECISIONS),
  reason: z.enum(REFUSAL_CODES),
  approval: z.enum(APPROVAL_OUTCOMES),
  count: int32Count,
});
export type GateTally = z.infer<typeof gateTallySchema>;

export const workflowEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('workflow.started'),
    eventId: ulid,
    workflowId: ulid,
    template: z.enum(TEMPLATES),
    at: epochMs,
  }),
  // Sent while a run is under way, so the control plane can tell a long run from a customer plane
  // that stopped reporting (it times the latter out).
  z.strictObject({
    type: z.literal('workflow.heartbeat'),
    eventId: ulid,
    workflowId: ulid,
    at: epochMs,
  }),
  z.strictObject({
    type: z.literal('workflow.finished'),
    eventId: ulid,
    workflowId: ulid,
    template: z.enum(TEMPLATES),
    status: z.enum(['succeeded', 'failed']),
    errorCode: z.enum(ERROR_CODES),
    at: epochMs,
    durationMs: duration,
    steps: int32Count,
  }),
  z.strictObject({
    type: z.literal('step.finished'),
    eventId: ulid,
    workflowId: ulid,
    stepId: ulid,
    index: z.number().int().min(0).max(1000),
    agent: z.enum(AGENT_NAMES),
    status: z.enum(STEP_STATUSES),
    errorCode: z.enum(ERROR_CODES),
    startedAt: epochMs,
    durationMs: duration,
    llmCalls: int32Count,
    inputTokens: count,
    outputTokens: count,
    // Counts of what the step did (optional: runners before the agent runtime did not send them).
    toolCalls: int32Count.optional(),
    refusals: int32Count.optional(),
    findings: findingCounts.optional(),
    patches: int32Count.optional(),
  }),
  z.strictObject({
    type: z.literal('gate.decisions'),
    eventId: ulid,
    workflowId: ulid,
    stepId: ulid,
    agent: z.enum(AGENT_NAMES),
    at: epochMs,
    decisions: z.array(gateTallySchema).min(1).max(500),
  }),
]);

export const otelPointSchema = z.strictObject({
  eventId: ulid,
  metric: z.enum(METRIC_NAMES),
  kind: z.enum(['sum', 'gauge', 'histogram']),
  at: epochMs,
  value: z.number().finite(),
  count: count.optional(),
  agent: z.enum(AGENT_NAMES).optional(),
  status: z.enum(STEP_STATUSES).optional(),
});

export const usageCounterSchema = z.strictObject({
  eventId: ulid,
  day,
  provider: z.enum(PROVIDERS),
  tier: z.enum(MODEL_TIERS),
  requests: count,
  /** Of `requests`, those the caller left before they finished (billed with what was produced). */
  cancelledRequests: count.optional(),
  /** Of `requests`, those whose token counts are partly an estimate (no provider usage report). */
  estimatedRequests: count.optional(),
  inputTokens: count,
  cachedInputTokens: count,
  cacheCreationTokens: count,
  outputTokens: count,
  failovers: count,
});

export const patternFingerprintSchema = z.strictObject({
  eventId: ulid,
  fingerprint: sha256,
  agent: z.enum(AGENT_NAMES),
  outcome: z.enum(PATTERN_OUTCOMES),
  occurrences: count,
});

export const eventSchemas = {
  meta: workflowEventSchema,
  otel: otelPointSchema,
  usage: usageCounterSchema,
  patterns: patternFingerprintSchema,
} as const satisfies Record<UpKind, z.ZodType>;

export type WorkflowEvent = z.infer<typeof workflowEventSchema>;
export type OtelPoint = z.infer<typeof otelPointSchema>;
export type UsageCounter = z.infer<typeof usageCounterSchema>;
export type PatternFingerprint = z.infer<typeof patternFingerprintSchema>;
export type UpEvent<K extends UpKind> = z.infer<(typeof eventSchemas)[K]>;

export const MAX_EVENTS_PER_BATCH = 1000;

/** The signed envelope; `kind` is inside the signature so a batch cannot be replayed onto another subject. */
export const batchSchema = z.strictObject({
  tenant: uuid,
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  iat: z.number().int().min(1_500_000_000),
  kind: z.enum(['meta', 'otel', 'usage', 'patterns']),
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

export type BoundaryRejection = { reason: 'boundary_violation'; field: string; issue: string };

/**
 * Checks one event against its kind's schema. A rejection names the field and the rule it broke but
 * never carries the offending value, so reporting a rejection cannot leak what was rejected.
 */
export function checkEvent<K extends UpKind>(
  kind: K,
  event: unknown,
): { ok: true; event: UpEvent<K> } | { ok: false; rejection: BoundaryRejection } {
  const result = eventSchemas[kind].safeParse(event);
  if (result.success) return { ok: true, event: result.data as UpEvent<K> };
  const issue = result.error.issues[0];
  return {
    ok: false,
    rejection: { reason: 'boundary_violation', field: issue.path.join('.') || '(event)', issue: issue.code },
  };
}
