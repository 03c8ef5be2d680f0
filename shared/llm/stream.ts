import { randomUUID } from 'node:crypto';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { isBreakerRefusal } from './breaker.ts';
import { exhausted, logFailover, rejectedBy, type Core, type LlmCallContext, type LlmMeta, type Prepared } from './core.ts';
import { UpstreamBadResponseError } from './errors.ts';
import { decideFailover, type FailoverDecision } from './failover.ts';
import type { ProviderName } from './models.ts';
import { chunk, usageChunk, type FinishReason, type StreamEvent } from './normalized.ts';
import type { ChatRequest } from './schema.ts';
import { addUsage, ZERO_USAGE, type LlmUsage } from './usage.ts';
import { createWatchdog } from './watchdog.ts';

/**
 * Streaming with failover before the first byte and mid-stream. The caller sees one stream: one
 * id, the tier as model, the role once, text in order, tool calls whole (buffered until each is
 * complete, so a break never leaves half a call on the wire), one finish chunk, then usage.
 * When an upstream breaks after text went out, the next provider gets that text as the
 * assistant's prefix and continues it; whitespace trimmed from the prefix is not sent twice.
 */

export type LlmStream = AsyncIterable<ChatCompletionChunk> & {
  pruned: Prepared['pruned'];
  /** Resolves when the stream completed; rejects if it failed (already reported in the stream). */
  meta: Promise<LlmMeta>;
  /** Stops the stream and its upstream call (e.g. the client went away). */
  cancel(): Promise<void>;
};

type ToolBuf = { id: string; name: string; args: string };

function withPrefix(req: ChatRequest, prefix: string): ChatRequest {
  return { ...req, messages: [...req.messages, { role: 'assistant', content: prefix }] };
}

export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 4);
}

/**
 * Where an earlier attempt outside this loop (the pass-through transport) left the stream: the
 * providers still to try start at `startAt`, and what the client already has is carried over.
 */
export type StreamResume = {
  startAt: number;
  /** The id and created time the client already saw, if any chunk went out. */
  id?: string;
  created?: number;
  sent: string;
  roleSent: boolean;
  usage: LlmUsage;
  failovers: number;
  decisions: FailoverDecision[];
};

export async function openStream(core: Core, p: Prepared, ctx: LlmCallContext, resume?: StreamResume): Promise<LlmStream> {
  let resolveMeta!: (m: LlmMeta) => void;
  let rejectMeta!: (e: unknown) => void;
  const meta = new Promise<LlmMeta>((res, rej) => {
    resolveMeta = res;
    rejectMeta = rej;
  });
  meta.catch(() => undefined); // the stream itself reports failures; meta is optional to await

  async function* run(): AsyncGenerator<ChatCompletionChunk> {
    const id = resume?.id ?? `chatcmpl-${randomUUID()}`;
    const created = resume?.created ?? Math.floor(core.clock() / 1000);
    const model = p.tier;
    let sent = resume?.sent ?? '';
    let roleSent = resume?.roleSent ?? false;
    let finish: FinishReason | null = null;
    let usage: LlmUsage = resume?.usage ?? ZERO_USAGE;
    let failovers = resume?.failovers ?? 0;
    let done: { provider: ProviderName; model: string } | undefined;
    const decisions: FailoverDecision[] = resume ? [...resume.decisions] : [];
    const role = () => (roleSent ? {} : ((roleSent = true), { role: 'assistant' as const }));

    for (const name of resume ? p.order.slice(resume.startAt) : p.order) {
      const adapter = core.adapters.get(name)!;
      const breaker = core.breakers.get(name)!;
      const spec = core.modelMap[p.tier][name];
      const wd = createWatchdog(core.timeoutMs, ctx.signal);
      const request = sent ? withPrefix(p.request, sent) : p.request;
      const maxTokens = Math.max(1, p.maxTokens[name] - estimateTokens(sent));
      const call = { request, spec, maxTokens, cacheKey: p.cacheKey, signal: wd.signal };
      const trimLead = /\s$/.test(sent);
      const tools = new Map<number, ToolBuf>();
      let attemptText = '';
      let attemptUsage: LlmUsage | undefined;
      let it: AsyncIterator<StreamEvent[]> | undefined;
      let completed = false;
      try {
        // The breaker sees the attempt succeed only once a first event arrived: a stream that is
        // accepted and then dies is a failure of the provider.
        const opened = await breaker.execute(async () => {
          core.counters.attempts[name] += 1;
          const iter = (await adapter.stream(call))[Symbol.asyncIterator]();
          return { iter, first: await iter.next() };
        });
        it = opened.iter;
        let r = opened.first;
        while (!r.done) {
          wd.kick();
          for (const ev of r.value) {
            if (ev.type === 'text') {
              const t = trimLead && attemptText === '' ? ev.text.replace(/^\s+/, '') : ev.text;
              if (!t) continue;
              attemptText += t;
              sent += t;
              yield chunk(id, model, created, { ...role(), content: t });
            } else if (ev.type === 'tool_call') {
              const b = tools.get(ev.index);
              if (b) b.args += ev.arguments;
              else tools.set(ev.index, { id: ev.id ?? `call_${randomUUID()}`, name: ev.name ?? '', args: ev.arguments });
              attemptText += ev.arguments;
            } else if (ev.type === 'usage') {
              attemptUsage = ev.usage;
            } else if (finish === null) {
              finish = ev.reason;
              const calls = [...tools.values()].map((c, index) => ({
                index,
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.args },
              }));
              if (calls.length) yield chunk(id, model, created, { ...role(), tool_calls: calls });
              yield chunk(id, model, created, roleSent ? {} : { ...role(), content: '' }, finish);
            }
          }
          r = await it.next();
        }
        if (finish === null) throw new UpstreamBadResponseError(name);
        completed = true;
      } catch (raw) {
        const err = wd.explain(raw);
        if (isBreakerRefusal(err)) {
          core.counters.skippedOpen[name] += 1;
          continue;
        }
        const d = decideFailover(err, ctx.signal);
        if (finish === null) {
          core.counters.failures[name] += 1;
          if (d.failover && it) breaker.recordFailure(err);
          if (!d.failover) {
            rejectMeta(err);
            throw rejectedBy(name, err, d);
          }
          decisions.push(d);
          failovers += 1;
          if (sent) core.counters.midStreamFailovers += 1;
          core.counters.failovers += 1;
          logFailover(core, ctx, name, d, sent !== '');
        }
        // A break after the finish chunk lost only the usage report; the answer is complete.
        completed = finish !== null;
      } finally {
        wd.done();
        if (!completed) wd.cancel();
        if (it && !completed) void it.return?.().catch(() => undefined);
      }
      // Broken attempts are billed by providers too; without their usage report, estimate it.
      const estimated = attemptText ? { ...ZERO_USAGE, inputTokens: p.promptTokens, outputTokens: estimateTokens(attemptText) } : ZERO_USAGE;
      usage = addUsage(usage, attemptUsage ?? estimated);
      if (completed) {
        done = { provider: name, model: spec.model };
        break;
      }
    }

    if (!done) {
      const err = exhausted(decisions, core.halfOpenAfterMs);
      rejectMeta(err);
      throw err;
    }
    resolveMeta({ ...done, tier: p.tier, failedOver: failovers > 0, failovers, pruned: p.pruned, usage });
    if (p.includeUsage) yield usageChunk(id, model, created, usage);
  }

  const gen = run();
  // Pull the first chunk before returning, so failures before the first byte reject here and the
  // caller can still answer with a plain HTTP error instead of a broken event stream.
  const first = await gen.next();
  return {
    pruned: p.pruned,
    meta,
    async cancel() {
      await gen.return(undefined);
    },
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      yield first.value;
      yield* gen;
    },
  };
}
