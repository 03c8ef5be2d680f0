import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { isBreakerRefusal } from './breaker.ts';
import { logFailover, rejectedBy, type Core, type LlmCallContext, type LlmMeta, type Prepared } from './core.ts';
import { UpstreamBadResponseError } from './errors.ts';
import { decideFailover, type FailoverDecision } from './failover.ts';
import { chunk, usageChunk, type StreamEvent } from './normalized.ts';
import { isPassthrough, OpenAIStreamErrorEvent, type OpenAIPassthroughAdapter } from './providers/openai-http.ts';
import { createSseSplitter } from './sse.ts';
import { attemptBill, openStream, type StreamResume } from './stream.ts';
import { openAIChunkEvents } from './translate-response.ts';
import { fromOpenAIUsage, type LlmUsage } from './usage.ts';
import { createToolCallBuffer } from './tool-call-buffer.ts';
import { createWatchdog } from './watchdog.ts';
import { openMeteredStream } from './primed-stream.ts';

/**
 * A chat stream as server-sent-event text, ready for the socket: what the proxy writes. Each item
 * holds one or more whole `data: ...\n\n` events (never the final `[DONE]`, which is the caller's).
 *
 * With the `passthrough` OpenAI transport and OpenAI as primary, the upstream's events are
 * forwarded as they arrive (several per socket write), touched only to put the tier name in
 * `model`; the stream is parsed incrementally just enough to keep the gateway's promises:
 *   - usage comes from the upstream's usage event (parsed; forwarded only if the caller asked);
 *   - the first event is parsed for the id and created time a continuation must reuse;
 *   - text is tracked (still JSON-escaped, decoded only if the stream breaks) as the prefix for a
 *     mid-stream failover, which then continues through the ordinary chunk path;
 *   - tool call deltas are held and sent whole before the finish event, so a break never leaves
 *     half a call on the wire, as on the SDK path;
 *   - a stream that ends without a finish reason, or carries an error event, is broken.
 * Every other case (SDK transport, Anthropic primary, the continuation after a failover) serializes
 * the chunk stream of openStream, one event per chunk.
 */
export type LlmSseStream = AsyncIterable<string> & {
  pruned: Prepared['pruned'];
  /**
   * Resolves when the stream completed, or when the consumer stopped it (cancel(), or the call's
   * signal aborted) with `cancelled: true` and the usage billed up to then; rejects if it failed
   * (already reported in the stream).
   */
  meta: Promise<LlmMeta>;
  /** Stops the stream and its upstream call (e.g. the client went away). */
  cancel(): Promise<void>;
};

const frame = (c: ChatCompletionChunk): string => `data: ${JSON.stringify(c)}\n\n`;

/** Index of the quote closing the JSON string whose content starts at `from`, or -1. */
function stringEnd(s: string, from: number): number {
  for (let i = from; ; ) {
    const q = s.indexOf('"', i);
    if (q === -1) return -1;
    let slashes = 0;
    for (let k = q - 1; k >= from && s.charCodeAt(k) === 92; k--) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * Index of the first `"` + `tail` in `s`, or -1. Searched for without its opening quote: V8's
 * substring search scans for a pattern's first character, and the quote is JSON's commonest, so
 * each of an event's half-dozen key lookups stopped at every quote (a tenth of the proxy's
 * instructions on a stream; three times faster this way). The quote is checked after a hit, so
 * `reasoning_content":"` never passes for `"content":"`.
 */
function keyAt(s: string, tail: string): number {
  for (let i = s.indexOf(tail); i !== -1; i = s.indexOf(tail, i + 1)) {
    if (i > 0 && s.charCodeAt(i - 1) === 34) return i - 1;
  }
  return -1;
}

/**
 * Puts the tier name in the event's top-level `model`. The first `"model":"` in an event is the
 * top-level key: inside string values every quote is escaped, so the sequence cannot occur there.
 */
function retag(data: string, tier: string): string {
  const i = keyAt(data, 'model":"');
  if (i === -1) return data;
  const j = stringEnd(data, i + 9);
  return j === -1 ? data : `${data.slice(0, i + 9)}${tier}${data.slice(j)}`;
}

export async function openSseStream(core: Core, p: Prepared, ctx: LlmCallContext): Promise<LlmSseStream> {
  const { promise: meta, resolve: resolveMeta, reject: rejectMeta } = Promise.withResolvers<LlmMeta>();
  meta.catch(() => undefined); // the stream itself reports failures; meta is optional to await

  async function* viaChunks(resume?: StreamResume): AsyncGenerator<string> {
    // openStream settles its meta on every outcome, also when it rejects (a caller who left
    // before the continuation's first chunk is billed for the broken attempt before it).
    const s = await openStream(core, p, ctx, resume, (m) => m.then(resolveMeta, rejectMeta));
    for await (const c of s) yield frame(c);
  }

  async function* passthrough(adapter: OpenAIPassthroughAdapter): AsyncGenerator<string> {
    const name = 'openai' as const;
    const tier = p.tier;
    const breaker = core.breakers.get(name)!;
    const spec = core.modelMap[tier][name];
    const wd = createWatchdog(core.timeoutMs, ctx.signal);
    const call = { request: p.request, spec, maxTokens: p.maxTokens[name], cacheKey: p.cacheKey, signal: wd.signal };
    const split = createSseSplitter();
    const dec = new StringDecoder('utf8'); // a character split across two reads is never mangled
    const datas: string[] = [];
    const tools = createToolCallBuffer();
    let it: AsyncIterator<Buffer | string> | undefined;
    let id: string | undefined;
    let created: number | undefined;
    let roleSent = false;
    let finished = false;
    let completed = false;
    let usage: LlmUsage | undefined;
    let escaped = ''; // the text sent so far, JSON-escaped as it came
    let toolArgs = ''; // every tool call argument received, for the estimate of output tokens
    let decision: FailoverDecision | undefined;
    let caught = false;
    let requested = false; // the request went out: the provider bills its prompt

    const role = () => (roleSent ? {} : ((roleSent = true), { role: 'assistant' as const }));
    const flushTools = (): string => {
      const calls = tools.take();
      return calls.length ? frame(chunk(id!, tier, created!, { ...role(), tool_calls: calls })) : '';
    };

    /** Rare events (tool calls) go through the normalized events, exactly as on the chunk path. */
    function viaEvents(c: ChatCompletionChunk): string {
      const evs: StreamEvent[] = [];
      openAIChunkEvents(c, evs);
      let out = '';
      for (const ev of evs) {
        if (ev.type === 'text') {
          escaped += JSON.stringify(ev.text).slice(1, -1);
          out += frame(chunk(id!, tier, created!, { ...role(), content: ev.text }));
        } else if (ev.type === 'tool_call') {
          tools.add(ev);
          toolArgs += ev.arguments;
        } else if (ev.type === 'usage') {
          usage = ev.usage;
        } else if (!finished) {
          finished = true;
          out += flushTools() + frame(chunk(id!, tier, created!, roleSent ? {} : { ...role(), content: '' }, ev.reason));
        }
      }
      return out;
    }

    /** One upstream event → the text to forward for it (often the event itself). */
    function handle(d: string): string {
      if (d === '[DONE]') return '';
      if (keyAt(d, 'choices"') === -1) {
        const v = JSON.parse(d) as { error?: unknown } | null;
        if (v && typeof v === 'object' && v.error) throw new OpenAIStreamErrorEvent();
        throw new UpstreamBadResponseError(name);
      }
      let parsed: ChatCompletionChunk | undefined;
      const parse = () => (parsed ??= JSON.parse(d) as ChatCompletionChunk);
      if (id === undefined) {
        const c = parse();
        if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) throw new UpstreamBadResponseError(name);
        id = typeof c.id === 'string' && c.id ? c.id : `chatcmpl-${randomUUID()}`;
        created = typeof c.created === 'number' ? c.created : Math.floor(core.clock() / 1000);
      }
      if (keyAt(d, 'usage":{') !== -1) {
        const c = parse();
        usage = fromOpenAIUsage(c.usage);
        if (Array.isArray(c.choices) && c.choices.length === 0) return p.includeUsage ? `data: ${retag(d, tier)}\n\n` : '';
      }
      if (keyAt(d, 'tool_calls":[') !== -1) return viaEvents(parse());
      const at = keyAt(d, 'content":"');
      if (at !== -1) {
        const end = stringEnd(d, at + 11);
        if (end === -1) throw new UpstreamBadResponseError(name);
        escaped += d.slice(at + 11, end);
      }
      if (!roleSent && keyAt(d, 'role":"assistant"') !== -1) roleSent = true;
      if (keyAt(d, 'finish_reason":"') !== -1) {
        if (finished) return '';
        finished = true;
        return `${flushTools()}data: ${retag(d, tier)}\n\n`;
      }
      return `data: ${retag(d, tier)}\n\n`;
    }

    const sentText = (): string => {
      try {
        return escaped ? (JSON.parse(`"${escaped}"`) as string) : '';
      } catch {
        return '';
      }
    };

    /**
     * The caller went away: the stream is over, but what OpenAI produced is billed, with its usage
     * report if it came, else as the prompt plus the text and tool arguments received so far.
     */
    const cancelled = () => {
      const bill = attemptBill(usage, p.promptTokens, sentText() + toolArgs, requested);
      resolveMeta({
        provider: name,
        model: spec.model,
        tier,
        failedOver: false,
        failovers: 0,
        pruned: p.pruned,
        usage: bill.usage,
        cancelled: true,
        ...(bill.estimated ? { estimated: true } : {}),
      });
    };

    try {
      // The breaker sees the attempt succeed once a first whole event arrived, as on the chunk path.
      const opened = await breaker.execute(async () => {
        core.counters.attempts[name] += 1;
        requested = true;
        const iter = (await adapter.openSse(call))[Symbol.asyncIterator]();
        for (;;) {
          const r = await iter.next();
          if (r.done) return { iter, ended: true };
          split.push(dec.write(r.value as Buffer), datas);
          if (datas.length) return { iter, ended: false };
        }
      });
      it = opened.iter;
      let ended = opened.ended;
      for (;;) {
        wd.kick();
        let out = '';
        for (const d of datas) out += handle(d);
        datas.length = 0;
        if (out) yield out;
        if (ended) break;
        const r = await it.next();
        if (r.done) ended = true;
        else split.push(dec.write(r.value as Buffer), datas);
      }
      if (!finished) throw new UpstreamBadResponseError(name);
      completed = true;
    } catch (raw) {
      caught = true;
      const err = wd.explain(raw);
      if (isBreakerRefusal(err)) {
        core.counters.skippedOpen[name] += 1;
      } else {
        const d = decideFailover(err, ctx.signal);
        if (!finished) {
          core.counters.failures[name] += 1;
          if (d.failover && it) breaker.recordFailure(err);
          if (!d.failover) {
            const e = rejectedBy(name, err, d);
            if (d.reason === 'aborted') cancelled();
            else rejectMeta(e);
            throw e;
          }
          decision = d;
          core.counters.failovers += 1;
          if (escaped) core.counters.midStreamFailovers += 1;
          logFailover(core, ctx, name, d, escaped !== '');
        }
        // A break after the finish event lost only the usage report; the answer is complete.
        completed = finished;
      }
    } finally {
      wd.done();
      if (!completed) wd.cancel();
      if (it && !completed) void it.return?.().catch(() => undefined);
      // Left without a result or an error: the consumer stopped the stream (cancel()).
      if (!completed && !caught) cancelled();
    }

    // Broken attempts are billed by providers too; without their usage report, estimate it.
    const sent = completed && usage ? '' : sentText();
    const bill = attemptBill(usage, p.promptTokens, sent + toolArgs, false);
    const estimated = bill.estimated ? { estimated: true } : {};
    if (completed) {
      resolveMeta({
        provider: name,
        model: spec.model,
        tier,
        failedOver: false,
        failovers: 0,
        pruned: p.pruned,
        usage: bill.usage,
        ...estimated,
      });
      if (!usage && p.includeUsage) yield frame(usageChunk(id!, tier, created!, bill.usage));
      return;
    }
    yield* viaChunks({
      startAt: 1,
      id,
      created,
      sent,
      roleSent,
      usage: bill.usage,
      ...estimated,
      failovers: decision ? 1 : 0,
      decisions: decision ? [decision] : [],
    });
  }

  const primary = core.adapters.get(p.order[0]);
  const gen = p.order[0] === 'openai' && isPassthrough(primary) ? passthrough(primary) : viaChunks();
  return openMeteredStream(gen, p.pruned, meta, ctx.signal);
}
