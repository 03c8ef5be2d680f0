import type { UsageCounter } from '../../shared/boundary.ts';
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
