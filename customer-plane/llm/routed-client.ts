import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { RunnerLlm } from './types.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';

/**
 * Routed mode: the tenant chose to let the vendor hold the provider keys, so the runner calls the
 * control plane's OpenAI-compatible proxy with its `agent` token. Prompts do cross in this mode —
 * that is the documented trade-off of `routed`; the proxy neither logs nor stores them.
 */
export function createRoutedLlm(opts: {
  controlPlaneUrl: string;
  /** The token, or a function the SDK calls before each request (read from the secret store at use). */
  agentToken: string | (() => Promise<string>);
  timeoutMs?: number;
}): RunnerLlm {
  const client = new OpenAI({
    apiKey: opts.agentToken,
    baseURL: new URL('/v1', opts.controlPlaneUrl).toString(),
    maxRetries: 2,
    timeout: opts.timeoutMs ?? 120_000,
  });
  return {
    async chat(request, ctx) {
      const completion = await client.chat.completions.create(request as ChatCompletionCreateParamsNonStreaming, {
        headers: ctx.requestId ? { [REQUEST_ID_HEADER.http]: ctx.requestId } : undefined,
        signal: ctx.signal,
      });
      const usage = completion.usage;
      const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
      return {
        completion: {
          choices: completion.choices.map((c) => ({
            message: { content: c.message.content, tool_calls: c.message.tool_calls ?? null },
            finish_reason: c.finish_reason,
          })),
        },
        meta: {
          usage: {
            inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
            cachedInputTokens: cached,
            cacheCreationTokens: 0,
            outputTokens: usage?.completion_tokens ?? 0,
          },
        },
      };
    },
    async close() {},
  };
}
