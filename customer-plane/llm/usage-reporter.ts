import { newUlid } from '../../shared/ids.ts';
import type { UsageCounter } from '../../shared/boundary.ts';
import type { LlmGateway } from '../../shared/llm/index.ts';
import type { AgentLlm } from '../../agents/types.ts';

/**
 * Direct mode's billing line to the vendor: after every LLM call the customer plane makes with its
 * own keys, one usage counter (provider, tier, token counts, failovers) goes up through egress.
 * Only those numbers cross; the call's content stays here.
 */
export function withUsageReporting(
  gateway: LlmGateway,
  emit: (event: UsageCounter) => unknown,
  clock: () => number = Date.now,
): AgentLlm & { close(): Promise<void> } {
  return {
    async chat(request, ctx) {
      const result = await gateway.chat(request, ctx);
      const { meta } = result;
      emit({
        eventId: newUlid(),
        day: new Date(clock()).toISOString().slice(0, 10),
        provider: meta.provider,
        tier: meta.tier,
        requests: 1,
        inputTokens: meta.usage.inputTokens,
        cachedInputTokens: meta.usage.cachedInputTokens,
        cacheCreationTokens: meta.usage.cacheCreationTokens,
        outputTokens: meta.usage.outputTokens,
        failovers: meta.failovers,
      });
      return result;
    },
    close: () => gateway.close(),
  };
}
