import type { RefusalCode } from '../../shared/boundary.ts';
import type { Consequence, Effect } from '../../agents/tools.ts';
import type { CommandRunner } from '../guard/types.ts';

/**
 * The environment and autonomy part of the gate. The runner builds the context from the run's named
 * environment (customer-plane/environments/) and the autonomy level the agent has earned there
 * (customer-plane/memory: promoted after successes in a row, demoted after failures in a row or a
 * person's override; production never past `assisted`). The policy reads the environment's definition,
 * never its name, so an environment called `production` is as strict as its definition says (the
 * environments check refuses a `production` that does not ask).
 */
export const AUTONOMY_LEVELS = ['observe', 'assisted', 'autonomous'] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

export type PolicyContext = {
  /** Named environment the run is in (sandbox, preview, production, or one the customer defines). */
  environment: string;
  /** The environment's rule for actions beyond reading: `ask` puts every one of them to a person. */
  writes: 'allow' | 'ask';
  /** The level from which an agent acts here without asking (the environment's `actAloneFrom`). */
  actAloneFrom: 'assisted' | 'autonomous';
  /**
   * observe: proposes only (reads; every other effect is denied). assisted: acts on its own only where
   * the environment lets assisted agents act alone, else with a person's approval. autonomous: acts
   * within the environment's policy. At every level a consequential action needs a person.
   */
  autonomy: AutonomyLevel;
};

export const DEFAULT_POLICY: PolicyContext = Object.freeze({
  environment: 'sandbox',
  writes: 'allow',
  actAloneFrom: 'assisted',
  autonomy: 'assisted',
});

export type PolicyAction = {
  effect: Effect;
  consequences: readonly Consequence[];
  /** A command that executes the repository's own code (npm test, make, node x.js). */
  runsRepositoryCode: boolean;
  sandbox: CommandRunner['sandbox'];
};

export type PolicyDecision = { decision: 'allow' | 'ask' | 'deny'; reason: RefusalCode };

/**
 * What the environment and the agent's autonomy make of an action the other checks let through.
 * A consequential action is never allowed outright at any level: the model cannot make one happen
 * on its own, a person has to approve it. Production is never autonomous, whatever the context says.
 */
export function decidePolicy(action: PolicyAction, ctx: PolicyContext): PolicyDecision {
  if (action.effect === 'read') return { decision: 'allow', reason: 'allowed' };
  if (ctx.autonomy === 'observe') return { decision: 'deny', reason: 'autonomy_level' };
  if (action.effect === 'network' || action.consequences.includes('network')) return { decision: 'ask', reason: 'network_not_allowed' };
  if (action.consequences.length > 0) return { decision: 'ask', reason: 'consequential_action' };
  // Without a sandbox, repository code would run with the runner's own access: a person decides.
  if (action.effect === 'exec' && action.runsRepositoryCode && action.sandbox === 'none')
    return { decision: 'ask', reason: 'sandbox_unavailable' };
  if (ctx.writes === 'ask') return { decision: 'ask', reason: 'environment_policy' };
  // An agent that has not earned the level this environment asks for acts only with a person's approval.
  if (ctx.autonomy === 'assisted' && ctx.actAloneFrom === 'autonomous') return { decision: 'ask', reason: 'autonomy_level' };
  return { decision: 'allow', reason: 'allowed' };
}
