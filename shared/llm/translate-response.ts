import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { UpstreamBadResponseError } from './errors.ts';
import type { FinishReason, NormalizedResult, StreamEvent, ToolCall } from './normalized.ts';
import { fromAnthropicUsage, fromOpenAIUsage, mergeAnthropicUsage, type LlmUsage } from './usage.ts';

/** Provider replies → normalized results and stream events (see normalized.ts). */

export function anthropicStopReason(r: string | null | undefined): FinishReason {
  switch (r) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

function openAIFinish(r: string | null | undefined): FinishReason {
  return r === 'length' || r === 'tool_calls' || r === 'content_filter' ? r : r === 'function_call' ? 'tool_calls' : 'stop';
}

/** SDKs hand back a string when the body was not JSON; anything not shaped like a reply is a 502. */
function assertObject(v: unknown, key: string, provider: string): void {
  if (!v || typeof v !== 'object' || !Array.isArray((v as Record<string, unknown>)[key])) throw new UpstreamBadResponseError(provider);
}

export function fromAnthropicMessage(m: Message): NormalizedResult {
  assertObject(m, 'content', 'anthropic');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const b of m.content) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use') toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
  }
  return {
    text: text || toolCalls.length === 0 ? text : null,
    refusal: null,
    toolCalls,
    finishReason: anthropicStopReason(m.stop_reason),
    usage: fromAnthropicUsage(m.usage),
  };
}

export function fromOpenAICompletion(c: ChatCompletion): NormalizedResult {
  assertObject(c, 'choices', 'openai');
  const choice = c.choices[0];
  if (!choice?.message) throw new UpstreamBadResponseError('openai');
  const toolCalls: ToolCall[] = [];
  for (const t of choice.message.tool_calls ?? []) {
    if (t.type === 'function') toolCalls.push({ id: t.id, name: t.function.name, arguments: t.function.arguments });
  }
  return {
    text: choice.message.content ?? null,
    refusal: choice.message.refusal ?? null,
    toolCalls,
    finishReason: openAIFinish(choice.finish_reason),
    usage: fromOpenAIUsage(c.usage),
  };
}

export function openAIChunkEvents(c: ChatCompletionChunk, out: StreamEvent[]): void {
  if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) throw new UpstreamBadResponseError('openai');
  const choice = c.choices[0];
  if (choice) {
    const d = choice.delta;
    if (d?.content) out.push({ type: 'text', text: d.content });
    for (const t of d?.tool_calls ?? []) {
      out.push({ type: 'tool_call', index: t.index, id: t.id, name: t.function?.name, arguments: t.function?.arguments ?? '' });
    }
    if (choice.finish_reason) out.push({ type: 'finish', reason: openAIFinish(choice.finish_reason) });
  }
  if (c.usage) out.push({ type: 'usage', usage: fromOpenAIUsage(c.usage) });
}

/**
 * Anthropic's event stream → events. Content blocks are indexed across text and tool_use; OpenAI
 * numbers tool calls on their own, so the translator keeps that mapping. Usage arrives in two
 * parts (message_start, message_delta) and is emitted once both are known.
 */
export function createAnthropicStreamTranslator() {
  const toolIndexOfBlock = new Map<number, number>();
  let startUsage: Parameters<typeof mergeAnthropicUsage>[0];
  return {
    push(e: RawMessageStreamEvent, out: StreamEvent[]): void {
      if (!e || typeof e !== 'object' || typeof e.type !== 'string') throw new UpstreamBadResponseError('anthropic');
      switch (e.type) {
        case 'message_start':
          startUsage = e.message.usage;
          return;
        case 'content_block_start':
          if (e.content_block.type === 'tool_use') {
            const index = toolIndexOfBlock.size;
            toolIndexOfBlock.set(e.index, index);
            out.push({ type: 'tool_call', index, id: e.content_block.id, name: e.content_block.name, arguments: '' });
          } else if (e.content_block.type === 'text' && e.content_block.text) {
            out.push({ type: 'text', text: e.content_block.text });
          }
          return;
        case 'content_block_delta':
          if (e.delta.type === 'text_delta') out.push({ type: 'text', text: e.delta.text });
          else if (e.delta.type === 'input_json_delta') {
            const index = toolIndexOfBlock.get(e.index);
            if (index !== undefined) out.push({ type: 'tool_call', index, arguments: e.delta.partial_json });
          }
          return;
        case 'message_delta': {
          const usage: LlmUsage = mergeAnthropicUsage(startUsage, e.usage);
          if (e.delta.stop_reason) out.push({ type: 'finish', reason: anthropicStopReason(e.delta.stop_reason) });
          out.push({ type: 'usage', usage });
          return;
        }
        default: // content_block_stop, message_stop, ping
          return;
      }
    },
  };
}
