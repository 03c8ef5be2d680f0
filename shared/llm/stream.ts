import { runAttempts, type Attempt } from './attempts.ts';
import { ChunkRun } from './chunk-stream.ts';
import type { Core, LlmCallContext, LlmMeta, Prepared } from './core.ts';
import { openMeteredStream, type MeteredStream } from './metered-stream.ts';
import type { Tier } from './models.ts';
import { PassthroughRun } from './passthrough/attempt.ts';
import { decodeEscaped } from './passthrough/event-keys.ts';
import { isPassthrough } from './passthrough/openai-http.ts';

/**
 * A chat stream as server-sent-event text, ready for the socket: what the proxy writes. Each piece
 * holds one or more whole `data: ...\n\n` events (never the final `[DONE]`, which is the caller's).
 */
export type LlmSseStream = MeteredStream<string>;

/** What the caller of a stream has been sent so far, whichever attempts sent it. */
export type StreamState = {
  readonly tier: Tier;
  readonly includeUsage: boolean;
  /** The id and created time of the stream's chunks, fixed by its first attempt. */
  id: string | undefined;
  created: number | undefined;
  roleSent: boolean;
  /** The text sent, decoded. */
  sent: string;
  /** Text the pass-through attempt sent, still JSON-escaped as it came (decoded only if it broke). */
  escaped: string;
  /** The `role` field for the next chunk with content: set on the first one only. */
  role(): { role?: 'assistant' };
  /** All the text sent (what a continuation gets as its prefix). */
  text(): string;
};

const ASSISTANT = { role: 'assistant' as const };
const NO_ROLE = {};

function createStreamState(p: Prepared): StreamState {
  return {
    tier: p.tier,
    includeUsage: p.includeUsage,
    id: undefined,
    created: undefined,
    roleSent: false,
    sent: '',
    escaped: '',
    role() {
      if (this.roleSent) return NO_ROLE;
      this.roleSent = true;
      return ASSISTANT;
    },
    text() {
      if (this.escaped) {
        this.sent = decodeEscaped(this.escaped) + this.sent;
        this.escaped = '';
      }
      return this.sent;
    },
  };
}

/**
 * The attempt loop as a stream of SSE text. With the `passthrough` OpenAI transport and OpenAI as
 * primary, its first attempt forwards the upstream's own events (passthrough/attempt.ts); every
 * other attempt (SDK transport, Anthropic, the continuation after a break) serializes the chunks of
 * the chunk path, so a stream that fails over mid-way is still one stream to the caller.
 */
export async function openSseStream(core: Core, p: Prepared, ctx: LlmCallContext): Promise<LlmSseStream> {
  const { promise: meta, resolve, reject } = Promise.withResolvers<LlmMeta>();
  meta.catch(() => undefined); // the stream itself reports failures; meta is optional to await
  const state = createStreamState(p);
  const consumer = {
    start(a: Attempt) {
      const adapter = core.adapters.get(a.provider)!;
      return a.provider === p.order[0] && isPassthrough(adapter)
        ? new PassthroughRun(adapter, p, a, state, core.clock)
        : new ChunkRun(adapter, p, a, state, core.clock);
    },
    midStream: () => state.sent !== '' || state.escaped !== '',
  };
  return openMeteredStream(runAttempts(core, p, ctx, consumer, { resolve, reject }), p.pruned, meta, ctx.signal);
}
