import { randomUUID } from 'node:crypto';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

type ToolCallDelta = { index: number; id?: string; name?: string; arguments: string };
type WholeToolCall = NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number];

/**
 * Tool call deltas held until the finish event, so the client receives each call whole and a
 * stream that breaks never leaves half a call on the wire (both stream paths rely on this).
 */
export type ToolCallBuffer = {
  add(delta: ToolCallDelta): void;
  /** The calls held so far, numbered from 0, and the buffer emptied. */
  take(): WholeToolCall[];
};

export function createToolCallBuffer(): ToolCallBuffer {
  const calls = new Map<number, { id: string; name: string; args: string }>();
  return {
    add(d) {
      const held = calls.get(d.index);
      if (held) held.args += d.arguments;
      else calls.set(d.index, { id: d.id ?? `call_${randomUUID()}`, name: d.name ?? '', args: d.arguments });
    },
    take() {
      const whole = [...calls.values()].map((c, index) => ({
        index,
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.args },
      }));
      calls.clear();
      return whole;
    },
  };
}
