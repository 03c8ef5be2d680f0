import type { ErrorCode } from '../../shared/boundary.ts';
import { AUTONOMY_LEVELS, type AutonomyLevel } from '../gate/policy.ts';
import type { AutonomyThresholds } from './config.ts';

/**
 * The meta-cognitive rules, as pure functions: how one counted outcome moves an agent's standing in an
 * environment, and which level that standing gives. Promotion and demotion are one level at a time;
 * production never goes past `assisted`, whatever the record says.
 */

/** What a step, or a person, says about an agent. `neutral` outcomes are recorded (once) but move nothing. */
export type Outcome = 'success' | 'failure' | 'neutral' | 'override';

export type Standing = {
  level: AutonomyLevel;
  successes: number;
  failures: number;
  overrides: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  overridesSinceChange: number;
};

export type LevelChange = { from: AutonomyLevel; to: AutonomyLevel; reason: 'promoted' | 'demoted_failures' | 'demoted_overrides' };

/** Environments where an agent may act without a person at all. Production asks before every write. */
export function ceilingOf(environment: string): AutonomyLevel {
  return environment === 'production' ? 'assisted' : 'autonomous';
}

const rank = (l: AutonomyLevel) => AUTONOMY_LEVELS.indexOf(l);
const lower = (a: AutonomyLevel, b: AutonomyLevel) => (rank(a) <= rank(b) ? a : b);

/** The level a stored standing gives in an environment (capped, so even a hand-edited row cannot exceed it). */
export function effectiveLevel(level: AutonomyLevel, environment: string): AutonomyLevel {
  return lower(level, ceilingOf(environment));
}

export function initialStanding(environment: string, t: AutonomyThresholds): Standing {
  return {
    level: effectiveLevel(t.initial, environment),
    successes: 0,
    failures: 0,
    overrides: 0,
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    overridesSinceChange: 0,
  };
}

export function successRate(s: Pick<Standing, 'successes' | 'failures'>): number {
  const counted = s.successes + s.failures;
  return counted === 0 ? 1 : s.successes / counted;
}

export function applyOutcome(
  s: Standing,
  outcome: Outcome,
  environment: string,
  t: AutonomyThresholds,
): { standing: Standing; change?: LevelChange } {
  const next = { ...s, level: effectiveLevel(s.level, environment) };
  const move = (to: AutonomyLevel, reason: LevelChange['reason']) => {
    const from = next.level;
    next.level = to;
    next.consecutiveSuccesses = 0;
    next.consecutiveFailures = 0;
    next.overridesSinceChange = 0;
    return { standing: next, change: { from, to, reason } };
  };
  const up = AUTONOMY_LEVELS[rank(next.level) + 1];
  const down = AUTONOMY_LEVELS[rank(next.level) - 1];
  switch (outcome) {
    case 'neutral':
      return { standing: next };
    case 'success':
      next.successes += 1;
      next.consecutiveSuccesses += 1;
      next.consecutiveFailures = 0;
      if (
        up &&
        rank(up) <= rank(ceilingOf(environment)) &&
        next.consecutiveSuccesses >= t.promoteAfter &&
        successRate(next) >= t.promoteMinSuccessRate
      )
        return move(up, 'promoted');
      return { standing: next };
    case 'failure':
      next.failures += 1;
      next.consecutiveFailures += 1;
      next.consecutiveSuccesses = 0;
      if (down && next.consecutiveFailures >= t.demoteAfterFailures) return move(down, 'demoted_failures');
      return { standing: next };
    case 'override':
      next.overrides += 1;
      next.overridesSinceChange += 1;
      next.consecutiveSuccesses = 0;
      if (down && next.overridesSinceChange >= t.demoteAfterOverrides) return move(down, 'demoted_overrides');
      return { standing: next };
  }
}

/** Failures that are the agent's own doing: a bad answer, a bad call, its budget, a path it should not touch. */
const AGENT_FAULTS: ReadonlySet<ErrorCode> = new Set([
  'agent_error',
  'invalid_output',
  'invalid_tool_arguments',
  'budget_exhausted',
  'path_rejected',
  'tool_denied',
]);

/**
 * What a finished step says about its agent. Outages (the model unreachable, a lost runner), a person not
 * answering, the default broker refusing every ask, and a refusal caused by the agent's own low level
 * are not the agent's failures: they count neither way.
 */
export function outcomeOfStep(status: 'succeeded' | 'failed', errorCode: ErrorCode, refusedForLevel: boolean): Outcome {
  if (status === 'succeeded') return 'success';
  if (refusedForLevel) return 'neutral';
  return AGENT_FAULTS.has(errorCode) ? 'failure' : 'neutral';
}
