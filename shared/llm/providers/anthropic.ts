import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { StreamEvent } from '../normalized.ts';
import { toAnthropicRequest } from '../translate-request.ts';
import { createAnthropicStreamTranslator, fromAnthropicMessage } from '../translate-response.ts';
import type { ProviderAdapter, ProviderConfig } from './types.ts';

/**
 * Anthropic through the official client, translating OpenAI-form requests and replies both ways.
 * The SDK appends /v1 itself, so a base URL given with a trailing /v1 (as for OpenAI) is trimmed.
 */
export function createAnthropicAdapter(cfg: ProviderConfig & { timeoutMs: number }): ProviderAdapter {
  const client = new Anthropic({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseURL.replace(/\/v1\/?$/, ''),
    maxRetries: 0,
    timeout: cfg.timeoutMs,
  });

  return {
    name: 'anthropic',
    async complete(call) {
      const m = await client.messages.create(toAnthropicRequest(call.request, call.spec.model, call.maxTokens), {
        signal: call.signal,
      });
      return fromAnthropicMessage(m);
    },
    async stream(call) {
      const s = await client.messages.create(
        { ...toAnthropicRequest(call.request, call.spec.model, call.maxTokens), stream: true },
        { signal: call.signal },
      );
      const translator = createAnthropicStreamTranslator();
      return (async function* () {
        for await (const e of s as AsyncIterable<RawMessageStreamEvent>) {
          const out: StreamEvent[] = [];
          translator.push(e, out);
          if (out.length) yield out;
        }
      })();
    },
  };
}
