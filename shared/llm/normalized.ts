import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { toOpenAIUsage, type LlmUsage } from './usage.ts';

/**
 * Provider-neutral results. Both adapters produce these, and the gateway alone turns them into
 * OpenAI-shaped completions and chunks, so ids, model names and usage look the same whichever
 * provider (or providers, after a mid-stream failover) produced the answer.
 */

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export type ToolCall = { id: string; name: string; arguments: string };

export type NormalizedResult = {
  text: string | null;
  refusal: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: LlmUsage;
};

export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments: string }
  | { type: 'finish'; reason: FinishReason }
  | { type: 'usage'; usage: LlmUsage };

export function toCompletion(r: NormalizedResult, id: string, model: string, created: number): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: r.text,
          refusal: r.refusal,
          ...(r.toolCalls.length
            ? {
                tool_calls: r.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: r.finishReason,
      },
    ],
    usage: toOpenAIUsage(r.usage),
  };
}

export function chunk(
  id: string,
  model: string,
  created: number,
  delta: ChatCompletionChunk.Choice.Delta,
  finish: FinishReason | null = null,
): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

export function usageChunk(id: string, model: string, created: number, usage: LlmUsage): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created, model, choices: [], usage: toOpenAIUsage(usage) };
}

/** One chunk as a server-sent event, the form every stream leaves the gateway in. */
export function sseFrame(c: ChatCompletionChunk): string {
  return `data: ${JSON.stringify(c)}\n\n`;
}
