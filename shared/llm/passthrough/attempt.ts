import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Attempt, AttemptRun, Opened } from '../attempts.ts';
import type { Prepared } from '../core.ts';
import { UpstreamBadResponseError, UpstreamErrorEvent } from '../errors.ts';
import { chunk, sseFrame, usageChunk, type StreamEvent } from '../normalized.ts';
import type { ProviderCall } from '../providers/types.ts';
import type { StreamState } from '../stream.ts';
import { createToolCallBuffer } from '../tool-call-buffer.ts';
import { openAIChunkEvents } from '../translate-response.ts';
import { fromOpenAIUsage, type LlmUsage } from '../usage.ts';
import { decodeEscaped, keyAt, retag, stringEnd } from './event-keys.ts';
import type { OpenAIPassthroughAdapter } from './openai-http.ts';
import { createSseSplitter } from './sse-splitter.ts';

const NOTHING = Buffer.alloc(0);

/**
 * The first OpenAI attempt of a stream with the `passthrough` transport: the upstream's events are
 * forwarded as they arrive (several per socket write), touched only to put the tier name in
 * `model`. Each event is read just enough to keep the gateway's promises:
 *   - usage comes from the upstream's usage event (parsed; forwarded only if the caller asked);
 *   - the first event is parsed for the id and created time a continuation must reuse;
 *   - text is tracked (still JSON-escaped, decoded only if the stream breaks) as the prefix for a
 *     mid-stream failover, which then continues through the chunk path (chunk-stream.ts);
 *   - tool call deltas are held and sent whole before the finish event, so a break never leaves
 *     half a call on the wire, as on the chunk path;
 *   - a stream that ends without a finish reason, or carries an error event, is broken.
 */
export class PassthroughRun implements AttemptRun<string> {
  usage: LlmUsage | undefined;
  finished = false;
  providerRequestId: string | undefined;
  /** Every tool call argument received, for the estimate of output tokens. */
  toolArgs = '';
  readonly adapter: OpenAIPassthroughAdapter;
  readonly state: StreamState;
  readonly call: ProviderCall;
  readonly clock: () => number;
  readonly split = createSseSplitter();
  readonly dec = new StringDecoder('utf8'); // a character split across two reads is never mangled
  readonly datas: string[] = [];
  readonly tools = createToolCallBuffer();

  constructor(adapter: OpenAIPassthroughAdapter, p: Prepared, a: Attempt, state: StreamState, clock: () => number) {
    this.adapter = adapter;
    this.state = state;
    this.clock = clock;
    this.call = { request: p.request, spec: a.spec, maxTokens: p.maxTokens[a.provider], cacheKey: p.cacheKey, signal: a.signal };
  }

  /** Opens the upstream stream and reads until its first whole event. */
  async open(): Promise<Opened> {
    const body = await this.adapter.openSse(this.call);
    this.providerRequestId = (body as { requestId?: string }).requestId;
    const rest = body[Symbol.asyncIterator]();
    for (;;) {
      const r = await rest.next();
      if (r.done) return { first: r };
      this.split.push(this.dec.write(r.value as Buffer), this.datas);
      // The events split out so far are taken with this empty piece.
      if (this.datas.length) return { first: { done: false, value: NOTHING }, rest };
    }
  }

  take(piece: unknown): string {
    const datas = this.datas;
    this.split.push(this.dec.write(piece as Buffer), datas);
    let out = '';
    for (const d of datas) out += this.handle(d);
    datas.length = 0;
    return out;
  }

  end(billed: LlmUsage): string | undefined {
    const s = this.state;
    return !this.usage && s.includeUsage ? sseFrame(usageChunk(s.id!, s.tier, s.created!, billed)) : undefined;
  }

  produced(): string {
    return decodeEscaped(this.state.escaped) + this.toolArgs;
  }

  /** One upstream event → the text to forward for it (often the event itself). */
  handle(d: string): string {
    const s = this.state;
    if (d === '[DONE]') return '';
    if (keyAt(d, 'choices"') === -1) {
      const v = JSON.parse(d) as { error?: unknown } | null;
      if (v && typeof v === 'object' && v.error) throw new UpstreamErrorEvent('openai', { providerRequestId: this.providerRequestId });
      throw new UpstreamBadResponseError('openai');
    }
    let parsed: ChatCompletionChunk | undefined;
    const parse = () => (parsed ??= JSON.parse(d) as ChatCompletionChunk);
    if (s.id === undefined) {
      const c = parse();
      if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) throw new UpstreamBadResponseError('openai');
      s.id = typeof c.id === 'string' && c.id ? c.id : `chatcmpl-${randomUUID()}`;
      s.created = typeof c.created === 'number' ? c.created : Math.floor(this.clock() / 1000);
    }
    if (keyAt(d, 'usage":{') !== -1) {
      const c = parse();
      this.usage = fromOpenAIUsage(c.usage);
      if (Array.isArray(c.choices) && c.choices.length === 0) return s.includeUsage ? `data: ${retag(d, s.tier)}\n\n` : '';
    }
    if (keyAt(d, 'tool_calls":[') !== -1) return this.viaEvents(parse());
    const at = keyAt(d, 'content":"');
    if (at !== -1) {
      const end = stringEnd(d, at + 11);
      if (end === -1) throw new UpstreamBadResponseError('openai');
      s.escaped += d.slice(at + 11, end);
    }
    if (!s.roleSent && keyAt(d, 'role":"assistant"') !== -1) s.roleSent = true;
    if (keyAt(d, 'finish_reason":"') !== -1) {
      if (this.finished) return '';
      this.finished = true;
      return `${this.flushTools()}data: ${retag(d, s.tier)}\n\n`;
    }
    return `data: ${retag(d, s.tier)}\n\n`;
  }

  /** Rare events (tool calls) go through the normalized events, exactly as on the chunk path. */
  viaEvents(c: ChatCompletionChunk): string {
    const s = this.state;
    const evs: StreamEvent[] = [];
    openAIChunkEvents(c, evs);
    let out = '';
    for (const ev of evs) {
      if (ev.type === 'text') {
        s.escaped += JSON.stringify(ev.text).slice(1, -1);
        out += sseFrame(chunk(s.id!, s.tier, s.created!, { ...s.role(), content: ev.text }));
      } else if (ev.type === 'tool_call') {
        this.tools.add(ev);
        this.toolArgs += ev.arguments;
      } else if (ev.type === 'usage') {
        this.usage = ev.usage;
      } else if (!this.finished) {
        this.finished = true;
        out += this.flushTools() + sseFrame(chunk(s.id!, s.tier, s.created!, s.roleSent ? {} : { ...s.role(), content: '' }, ev.reason));
      }
    }
    return out;
  }

  flushTools(): string {
    const s = this.state;
    const calls = this.tools.take();
    return calls.length ? sseFrame(chunk(s.id!, s.tier, s.created!, { ...s.role(), tool_calls: calls })) : '';
  }
}
