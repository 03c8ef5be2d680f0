import type { Egress } from '../egress/egress.ts';
import {
  type ErrorCode,
  FINDING_SEVERITIES,
  type FindingSeverity,
  type GateTally,
  type TemplateName,
  type WorkflowEvent,
} from '../../shared/boundary.ts';
import type { AgentOutput } from '../../agents/types.ts';
import type { DecisionRecord } from '../gate/gate.ts';
import type { StepRow } from './ledger/runs.ts';

/**
 * The run's metadata as boundary events: counts and codes only. Every event id is stored in the
 * ledger before the event is emitted, so a run resumed or redelivered after a crash sends the same
 * events again with the same ids, and the control plane keeps each once.
 */
export type RunEvents = Pick<Egress, 'emit' | 'flush'>;

/** The boundary caps durations at a week. */
const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

export function findingCounts(output: AgentOutput | null | undefined): Record<FindingSeverity, number> {
  const out = Object.fromEntries(FINDING_SEVERITIES.map((s) => [s, 0])) as Record<FindingSeverity, number>;
  for (const f of output?.findings ?? []) out[f.severity] += 1;
  return out;
}

/** Tallies gate decisions by tool, decision, reason and approval outcome. */
export function createTally() {
  const counts = new Map<string, GateTally>();
  return {
    add(d: Pick<DecisionRecord, 'tool' | 'decision' | 'reason' | 'approval'>) {
      const key = `${d.tool}|${d.decision}|${d.reason}|${d.approval}`;
      const row = counts.get(key) ?? { tool: d.tool, decision: d.decision, reason: d.reason, approval: d.approval, count: 0 };
      row.count += 1;
      counts.set(key, row);
    },
    rows: (): GateTally[] => [...counts.values()].sort((a, b) => (a.tool + a.reason < b.tool + b.reason ? -1 : 1)),
  };
}

export function stepFinishedEvent(runId: string, s: StepRow, patches: number): WorkflowEvent {
  return {
    type: 'step.finished',
    eventId: s.finishedEventId!,
    workflowId: runId,
    stepId: s.id,
    index: s.idx,
    agent: s.agent,
    status: s.status === 'pending' ? 'skipped' : s.status,
    errorCode: s.errorCode,
    startedAt: s.startedAt ?? s.finishedAt ?? Date.now(),
    durationMs: s.durationMs ?? 0,
    llmCalls: s.llmCalls,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    toolCalls: s.toolCalls,
    refusals: s.refusals,
    findings: findingCounts(s.status === 'succeeded' ? s.output : null),
    patches,
  };
}

export function gateEvent(runId: string, s: StepRow, rows: GateTally[], at: number): WorkflowEvent | undefined {
  if (!s.gateEventId || rows.length === 0) return undefined;
  return {
    type: 'gate.decisions',
    eventId: s.gateEventId,
    workflowId: runId,
    stepId: s.id,
    agent: s.agent,
    at,
    decisions: rows.slice(0, 500),
  };
}

export function workflowFinishedEvent(
  runId: string,
  eventId: string,
  template: TemplateName,
  status: 'succeeded' | 'failed',
  errorCode: ErrorCode,
  startedAt: number,
  at: number,
  steps: number,
): WorkflowEvent {
  return {
    type: 'workflow.finished',
    eventId,
    workflowId: runId,
    template,
    status,
    errorCode,
    at,
    durationMs: Math.min(MAX_DURATION_MS, Math.max(0, at - startedAt)),
    steps,
  };
}
