import type { Logger } from '../log.ts';
import { createProviderBreaker, type BreakerOptions, type BreakerState, type ProviderBreaker } from './breaker.ts';
import { canonicalTools, promptCacheKey } from './cache-shaping.ts';
import { fitContext, type PruneReport } from './context-budget.ts';
import { DEFAULT_OUTPUT_RESERVE, resolveTier, type ModelMap, type ProviderName, type Tier } from './models.ts';
import type { ProviderAdapter } from './providers/types.ts';
import { parseChatRequest, type ChatRequest } from './schema.ts';
import type { TokenCounter } from './tokens.ts';
import type { LlmUsage } from './usage.ts';

/** A gateway's state, and what every call does before its first provider attempt. */

export type LlmCallContext = { tenant: string; agent: string; requestId?: string; signal?: AbortSignal };

export type LlmMeta = {
  provider: ProviderName;
  model: string;
  tier: Tier;
  failedOver: boolean;
  /** Provider attempts that failed and moved the request on (0 when the first provider answered). */
  failovers: number;
  pruned: PruneReport;
  usage: LlmUsage;
  /**
   * The caller went away before the call finished (a stream, or an LlmCallerGoneError). `usage` is then what the
   * providers billed up to that point (their report if it came, else our estimate).
   */
  cancelled?: boolean;
  /** Part of `usage` is our estimate: an attempt ended without the provider's usage report. */
  estimated?: boolean;
};

export type GatewayMetrics = {
  breaker: Record<ProviderName, BreakerState>;
  breakerTransitions: Record<ProviderName, number>;
  attempts: Record<ProviderName, number>;
  failures: Record<ProviderName, number>;
  /** Calls that went past a provider because its breaker was open: attempts not wasted. */
  skippedOpen: Record<ProviderName, number>;
  failovers: number;
  midStreamFailovers: number;
};

export type Core = {
  adapters: Map<ProviderName, ProviderAdapter>;
  breakers: Map<ProviderName, ProviderBreaker>;
  order: ProviderName[];
  modelMap: ModelMap;
  log: Logger;
  clock: () => number;
  timeoutMs: number;
  halfOpenAfterMs: number;
  counters: Omit<GatewayMetrics, 'breaker'>;
  counter: TokenCounter;
};

export type Prepared = {
  tier: Tier;
  request: ChatRequest;
  order: ProviderName[];
  maxTokens: Record<ProviderName, number>;
  pruned: PruneReport;
  /** Prompt tokens as counted (or bounded) while budgeting; used to estimate billing of broken attempts. */
  promptTokens: number;
  cacheKey: string;
  includeUsage: boolean;
};

/**
 * o200k undercounts Claude's tokenizer on code and prose, so Anthropic windows are shrunk by this
 * factor when budgeting; pruning a little early is cheaper than a provider 400 after failover.
 */
const ANTHROPIC_TOKEN_RATIO = 1.2;

export function emptyCounters(): Core['counters'] {
  const per = () => ({ openai: 0, anthropic: 0 });
  return { breakerTransitions: per(), attempts: per(), failures: per(), skippedOpen: per(), failovers: 0, midStreamFailovers: 0 };
}

export function makeBreakers(
  order: ProviderName[],
  opts: BreakerOptions,
  log: Logger,
  counters: Core['counters'],
  onChange?: (provider: ProviderName, from: BreakerState, to: BreakerState) => void,
): Map<ProviderName, ProviderBreaker> {
  const m = new Map<ProviderName, ProviderBreaker>();
  for (const p of order) {
    m.set(
      p,
      createProviderBreaker(opts, (from, to) => {
        counters.breakerTransitions[p] += 1;
        log.warn({ provider: p, from, to }, 'llm circuit breaker changed state');
        onChange?.(p, from, to);
      }),
    );
  }
  return m;
}

/** Validation, tier mapping, output reserve, pruning and cache shaping: everything before the first call. */
export async function prepare(core: Core, input: unknown, ctx: LlmCallContext): Promise<Prepared> {
  const request = parseChatRequest(input);
  const tier = resolveTier(request.model);
  const wanted = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_OUTPUT_RESERVE;
  const maxTokens = { openai: 0, anthropic: 0 };
  let budget = Infinity;
  for (const p of core.order) {
    const spec = core.modelMap[tier][p];
    maxTokens[p] = Math.min(wanted, spec.maxOutputTokens);
    const window = p === 'anthropic' ? Math.floor(spec.contextWindow / ANTHROPIC_TOKEN_RATIO) : spec.contextWindow;
    budget = Math.min(budget, window - maxTokens[p]);
  }
  const tools = canonicalTools(request.tools);
  const fit = await fitContext({ messages: request.messages, tools, budget: Math.max(0, budget), counter: core.counter });
  return {
    tier,
    // The validated request is already a copy of the caller's; copied again only to change it.
    request: fit.messages === request.messages && !tools ? request : { ...request, messages: fit.messages, ...(tools ? { tools } : {}) },
    order: core.order,
    maxTokens,
    pruned: fit.report,
    promptTokens: fit.promptTokens,
    cacheKey: promptCacheKey(ctx.tenant, ctx.agent),
    includeUsage: request.stream_options?.include_usage === true,
  };
}
