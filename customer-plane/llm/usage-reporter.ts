import { newUlid } from '../../shared/ids.ts';
import type { UsageCounter } from '../../shared/boundary.ts';
import { LlmCallerGoneError, type LlmGateway, type LlmMeta } from '../../shared/llm/index.ts';
import type { RunnerChatResult, RunnerLlm } from './types.ts';

/**
 * Direct mode's billing line to the vendor: after every LLM call the customer plane makes with its
 * own keys, one usage counter (provider, tier, token counts, failovers) goes up through egress.
 * Only those numbers cross; the call's content stays here.
 */
export function withUsageReporting(gateway: LlmGateway, emit: (event: UsageCounter) => unknown, clock: () => number = Date.now): RunnerLlm {
  function report(meta: LlmMeta): void {
    emit({
      eventId: newUlid(),
      day: new Date(clock()).toISOString().slice(0, 10),
      provider: meta.provider,
      tier: meta.tier,
      requests: 1,
      ...(meta.cancelled ? { cancelledRequests: 1 } : {}),
      ...(meta.estimated ? { estimatedRequests: 1 } : {}),
      inputTokens: meta.usage.inputTokens,
      cachedInputTokens: meta.usage.cachedInputTokens,
      cacheCreationTokens: meta.usage.cacheCreationTokens,
      outputTokens: meta.usage.outputTokens,
      failovers: meta.failovers,
    });
  }
  return {
    async chat(request, ctx) {
      try {
        const result = await gateway.chat(request, ctx);
        report(result.meta);
        return result as unknown as RunnerChatResult;
      } catch (err) {
        // A call given up through its abort signal (a step stopped mid-turn) was still billed by the provider.
        if (err instanceof LlmCallerGoneError) report(err.meta);
        throw err;
      }
    },
    close: () => gateway.close(),
  };
}
