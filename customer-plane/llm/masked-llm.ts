import type { Masker } from '../secrets/masker.ts';
import type { RunnerLlm, RunnerMessage } from './types.ts';

/**
 * The LLM as a run's steps call it: every message of every request — instructions, parameters,
 * earlier steps' outputs, tool results, the model's own earlier tool calls — passes the run's masker
 * on its way out, so no value of a secret the run knows reaches a provider (or, in routed mode, the
 * vendor's proxy), whatever path it took into the conversation.
 */
export function maskedLlm(llm: RunnerLlm, masker: Masker): RunnerLlm {
  return {
    chat(request, ctx) {
      return llm.chat({ ...request, messages: request.messages.map((m) => maskMessage(m, masker)) }, ctx);
    },
    close: () => llm.close(),
  };
}

// Call ids and tool names are the model's own words, not only its arguments: a model that met a value some
// other way could echo it there, so every string of a message is masked. The masker is deterministic, so a
// call id and the tool result naming it still pair up.
function maskMessage(m: RunnerMessage, masker: Masker): RunnerMessage {
  if (m.role === 'tool') return { ...m, tool_call_id: masker.mask(m.tool_call_id), content: masker.mask(m.content) };
  if (m.role !== 'assistant') return { ...m, content: masker.mask(m.content) };
  return {
    ...m,
    content: m.content === null ? null : masker.mask(m.content),
    ...(m.tool_calls
      ? {
          tool_calls: m.tool_calls.map((c) => ({
            ...c,
            id: masker.mask(c.id),
            function: { ...c.function, name: masker.mask(c.function.name), arguments: masker.mask(c.function.arguments) },
          })),
        }
      : {}),
  };
}
