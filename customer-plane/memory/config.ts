import { z } from 'zod';
import { flag } from '../../shared/config.ts';
import { AUTONOMY_LEVELS, type AutonomyLevel } from '../gate/policy.ts';

/**
 * The memory's settings, read from the customer plane's environment with the rest of its config (so a
 * bad value stops the start, named with every other problem). The autonomy thresholds decide when the
 * meta-cognitive layer moves an agent up or down a level in an environment.
 */
export const memoryEnvShape = {
  /** Reuse model turns whose request is byte-identical to one a succeeded step made before (same repository and environment). */
  MEMORY_REUSE: flag().default(true),
  /** Cached model turns not reused for this many days are deleted when a run on their repository ends. */
  MEMORY_TURNS_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** The level an agent starts at in an environment it has no record in (production caps it at assisted). */
  AUTONOMY_INITIAL_LEVEL: z.enum(AUTONOMY_LEVELS).default('assisted'),
  /** Successful steps in a row that promote an agent one level. */
  AUTONOMY_PROMOTE_AFTER: z.coerce.number().int().min(1).max(100_000).default(10),
  /** …and only if its success rate in that environment (successes / counted steps) is at least this. */
  AUTONOMY_PROMOTE_MIN_SUCCESS_RATE: z.coerce.number().min(0).max(1).default(0.9),
  /** Failed steps in a row (failures that are the agent's, not an outage's) that demote an agent one level. */
  AUTONOMY_DEMOTE_AFTER_FAILURES: z.coerce.number().int().min(1).max(10_000).default(3),
  /** Human overrides (a rejected approval, a reverted patch) since its last level change that demote an agent one level. */
  AUTONOMY_DEMOTE_AFTER_OVERRIDES: z.coerce.number().int().min(1).max(10_000).default(1),
};

export type AutonomyThresholds = {
  initial: AutonomyLevel;
  promoteAfter: number;
  promoteMinSuccessRate: number;
  demoteAfterFailures: number;
  demoteAfterOverrides: number;
};

export type MemoryConfig = { reuse: boolean; turnsMaxAgeDays: number; autonomy: AutonomyThresholds };

type MemoryEnv = { [K in keyof typeof memoryEnvShape]: z.infer<(typeof memoryEnvShape)[K]> };

export function memoryConfigOf(env: MemoryEnv): MemoryConfig {
  return {
    reuse: env.MEMORY_REUSE,
    turnsMaxAgeDays: env.MEMORY_TURNS_MAX_AGE_DAYS,
    autonomy: {
      initial: env.AUTONOMY_INITIAL_LEVEL,
      promoteAfter: env.AUTONOMY_PROMOTE_AFTER,
      promoteMinSuccessRate: env.AUTONOMY_PROMOTE_MIN_SUCCESS_RATE,
      demoteAfterFailures: env.AUTONOMY_DEMOTE_AFTER_FAILURES,
      demoteAfterOverrides: env.AUTONOMY_DEMOTE_AFTER_OVERRIDES,
    },
  };
}

/** The defaults, as a parsed empty environment gives them (tests and scripts). */
export const DEFAULT_MEMORY_CONFIG: MemoryConfig = memoryConfigOf(z.object(memoryEnvShape).parse({}));
