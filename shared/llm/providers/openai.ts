import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { StreamEvent } from '../normalized.ts';
import { fromOpenAICompletion, openAIChunkEvents } from '../translate-response.ts';
import type { ProviderAdapter, ProviderCall, ProviderConfig } from './types.ts';

/** The OpenAI request body for a call; both transports (SDK and pass-through) send exactly this. */
export function openAIParams(call: ProviderCall): ChatCompletionCreateParamsNonStreaming {
  const { stream: _s, stream_options: _so, max_tokens: _mt, model: _m, prompt_cache_key: _pk, ...rest } = call.request;
  // `rest` is a fresh copy already: completed in place rather than copied once more per call.
  const params = rest as ChatCompletionCreateParamsNonStreaming;
  params.model = call.spec.model;
  // max_completion_tokens is accepted by every current chat model; max_tokens is not (reasoning models).
  params.max_completion_tokens = call.maxTokens;
  params.prompt_cache_key = call.cacheKey;
  return params;
}

/**
 * OpenAI through the official client. maxRetries is 0 because retries and failover are the
 * gateway's decision; the client timeout is a backstop behind the gateway's own watchdog.
 */
export function createOpenAIAdapter(cfg: ProviderConfig & { timeoutMs: number }): ProviderAdapter {
  const client = new OpenAI({ apiKey: cfg.apiKey, baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.timeoutMs });

  return {
    name: 'openai',
    async complete(call) {
      const c = await client.chat.completions.create(openAIParams(call), { signal: call.signal });
      return fromOpenAICompletion(c);
    },
    async stream(call) {
      const s = await client.chat.completions.create(
        { ...openAIParams(call), stream: true, stream_options: { include_usage: true } },
        { signal: call.signal },
      );
      return (async function* () {
        for await (const c of s as AsyncIterable<ChatCompletionChunk>) {
          const out: StreamEvent[] = [];
          openAIChunkEvents(c, out);
          yield out;
        }
      })();
    },
  };
}
