import type { UsageCounter } from '../../shared/boundary.ts';
import type { LlmMeta } from '../../shared/llm/index.ts';
import { newUlid } from '../../shared/ids.ts';

/**
 * An LLM usage event as the customer plane's egress sends it up (one request of 1 input and 1 output
 * token on openai/core, no failover), with a fresh event id: a valid `usage` event that tests change
 * only in the fields they are about.
 */
export function usageEvent(over: Partial<UsageCounter> = {}): UsageCounter {
  return {
    eventId: newUlid(),
    day: '2026-01-02',
    provider: 'openai',
    tier: 'core',
    requests: 1,
    inputTokens: 1,
    cachedInputTokens: 0,
    cacheCreationTokens: 0,
    outputTokens: 1,
    failovers: 0,
    ...over,
  };
}

/**
 * What the LLM proxy records of one call before its counters turn calls into usage events: openai's
 * gpt-4.1-mini on core, answered at once (no failover, nothing pruned), 10 input and 5 output tokens.
 */
export function llmCallMeta(over: Partial<LlmMeta> = {}): LlmMeta {
  return {
    provider: 'openai',
    model: 'gpt-4.1-mini',
    tier: 'core',
    failedOver: false,
    failovers: 0,
    pruned: { turnsDropped: 0, toolResultsElided: 0 },
    usage: { inputTokens: 10, cachedInputTokens: 0, cacheCreationTokens: 0, outputTokens: 5 },
    ...over,
  };
}
