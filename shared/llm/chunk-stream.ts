import { randomUUID } from 'node:crypto';
import type { Attempt, AttemptRun, Opened } from './attempts.ts';
import type { Prepared } from './core.ts';
import { chunk, sseFrame, usageChunk, type StreamEvent } from './normalized.ts';
import type { ProviderAdapter, ProviderCall } from './providers/types.ts';
import type { ChatRequest } from './schema.ts';
import type { StreamState } from './stream.ts';
import { createToolCallBuffer } from './tool-call-buffer.ts';
import { estimateTokens, type LlmUsage } from './usage.ts';

/**
 * One stream attempt through an adapter's normalized events (the SDK transport, Anthropic, and
 * every attempt after a pass-through one broke), each event turned into the chunk the caller gets.
 * Across the attempts of a stream the caller sees one stream: one id, the tier as model, the role
 * once, text in order, tool calls whole (held until each is complete, so a break never leaves half
 * a call on the wire), one finish chunk, then usage. When an attempt broke after text went out, the
 * next one gets that text as the assistant's prefix and continues it; whitespace trimmed from the
 * prefix is not sent twice.
 */
export class ChunkRun implements AttemptRun<string> {
  usage: LlmUsage | undefined;
  finished = false;
  /** Text and tool arguments this attempt produced, for the estimate of its output. */
  text = '';
  readonly adapter: ProviderAdapter;
  readonly state: StreamState;
  readonly call: ProviderCall;
  readonly trimLead: boolean;
  readonly tools = createToolCallBuffer();

  constructor(adapter: ProviderAdapter, p: Prepared, a: Attempt, state: StreamState, clock: () => number) {
    this.adapter = adapter;
    this.state = state;
    const sent = state.text();
    state.id ??= `chatcmpl-${randomUUID()}`;
    state.created ??= Math.floor(clock() / 1000);
    this.trimLead = /\s$/.test(sent);
    this.call = {
      request: sent ? withPrefix(p.request, sent) : p.request,
      spec: a.spec,
      maxTokens: Math.max(1, p.maxTokens[a.provider] - estimateTokens(sent)),
      cacheKey: p.cacheKey,
      signal: a.signal,
    };
  }

  async open(): Promise<Opened> {
    const rest = (await this.adapter.stream(this.call))[Symbol.asyncIterator]();
    return { first: await rest.next(), rest };
  }

  take(piece: unknown): string {
    const s = this.state;
    let out = '';
    for (const ev of piece as StreamEvent[]) {
      if (ev.type === 'text') {
        const t = this.trimLead && this.text === '' ? ev.text.replace(/^\s+/, '') : ev.text;
        if (!t) continue;
        this.text += t;
        s.sent += t;
        out += sseFrame(chunk(s.id!, s.tier, s.created!, { ...s.role(), content: t }));
      } else if (ev.type === 'tool_call') {
        this.tools.add(ev);
        this.text += ev.arguments;
      } else if (ev.type === 'usage') {
        this.usage = ev.usage;
      } else if (!this.finished) {
        this.finished = true;
        const calls = this.tools.take();
        if (calls.length) out += sseFrame(chunk(s.id!, s.tier, s.created!, { ...s.role(), tool_calls: calls }));
        out += sseFrame(chunk(s.id!, s.tier, s.created!, s.roleSent ? {} : { ...s.role(), content: '' }, ev.reason));
      }
    }
    return out;
  }

  end(billed: LlmUsage): string | undefined {
    const s = this.state;
    return s.includeUsage ? sseFrame(usageChunk(s.id!, s.tier, s.created!, billed)) : undefined;
  }

  produced(): string {
    return this.text;
  }
}

function withPrefix(req: ChatRequest, prefix: string): ChatRequest {
  return { ...req, messages: [...req.messages, { role: 'assistant', content: prefix }] };
}
