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
import { createToolCallBuffer } from './tool-call-buffer.ts';
import { createWatchdog } from './watchdog.ts';
import { openMeteredStream } from './primed-stream.ts';

/**
 * Streaming with failover before the first byte and mid-stream. The caller sees one stream: one
 * id, the tier as model, the role once, text in order, tool calls whole (buffered until each is
 * complete, so a break never leaves half a call on the wire), one finish chunk, then usage.
 * When an upstream breaks after text went out, the next provider gets that text as the
 * assistant's prefix and continues it; whitespace trimmed from the prefix is not sent twice.
 */

export type LlmStream = AsyncIterable<ChatCompletionChunk> & {
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

function withPrefix(req: ChatRequest, prefix: string): ChatRequest {
  return { ...req, messages: [...req.messages, { role: 'assistant', content: prefix }] };
}

export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 4);
}

/**
 * What one attempt that ended early is billed: the provider's usage report when it arrived, else
 * an estimate (the prompt as counted before the call plus the text produced so far). `promptBilled`
 * says whether the provider is taken to have read the prompt without a report: yes once the request
 * went out and the caller then left (the provider carries on and bills it); no for an attempt that
 * failed before producing anything (an error reply is not billed).
 */
export function attemptBill(
  reported: LlmUsage | undefined,
  promptTokens: number,
  text: string,
  promptBilled: boolean,
): { usage: LlmUsage; estimated: boolean } {
  if (reported) return { usage: reported, estimated: false };
  if (!promptBilled && !text) return { usage: ZERO_USAGE, estimated: false };
  return { usage: { ...ZERO_USAGE, inputTokens: promptTokens, outputTokens: estimateTokens(text) }, estimated: true };
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
  /** Whether `usage` holds an estimate. */
  estimated?: boolean;
  failovers: number;
  decisions: FailoverDecision[];
};

/**
 * `onMeta` receives the stream's meta at once, before the first chunk: a continuation (`resume`)
 * whose caller leaves before it produced anything still reports what was billed until then.
 */
export async function openStream(
  core: Core,
  p: Prepared,
  ctx: LlmCallContext,
  resume?: StreamResume,
  onMeta?: (meta: Promise<LlmMeta>) => void,
): Promise<LlmStream> {
  const { promise: meta, resolve: resolveMeta, reject: rejectMeta } = Promise.withResolvers<LlmMeta>();
  meta.catch(() => undefined); // the stream itself reports failures; meta is optional to await
  onMeta?.(meta);
  let settled = false;
  const resolve = (m: LlmMeta) => ((settled = true), resolveMeta(m));
  const reject = (e: unknown) => ((settled = true), rejectMeta(e));

  async function* run(): AsyncGenerator<ChatCompletionChunk> {
    const id = resume?.id ?? `chatcmpl-${randomUUID()}`;
    const created = resume?.created ?? Math.floor(core.clock() / 1000);
    const model = p.tier;
    let sent = resume?.sent ?? '';
    let roleSent = resume?.roleSent ?? false;
    let finish: FinishReason | null = null;
    let usage: LlmUsage = resume?.usage ?? ZERO_USAGE;
    let estimated = resume?.estimated ?? false;
    let failovers = resume?.failovers ?? 0;
    let done: { provider: ProviderName; model: string } | undefined;
    const decisions: FailoverDecision[] = resume ? [...resume.decisions] : [];
    const role = () => (roleSent ? {} : ((roleSent = true), { role: 'assistant' as const }));
    // The attempt under way, kept here so a cancellation at any point can bill it.
    let current: { provider: ProviderName; model: string } = { provider: p.order[resume?.startAt ?? 0], model: '' };
    let attemptText = '';
    let attemptUsage: LlmUsage | undefined;
    let requested = false; // the attempt's request went out: the provider bills its prompt

    /**
     * The caller went away: the stream is over, but what the providers produced is billed. The
     * attempt under way counts with its usage report if it came, else as prompt + text so far.
     */
    const cancelled = () => {
      const bill = attemptBill(attemptUsage, p.promptTokens, attemptText, requested);
      resolve({
        ...current,
        tier: p.tier,
        failedOver: failovers > 0,
        failovers,
        pruned: p.pruned,
        usage: addUsage(usage, bill.usage),
        cancelled: true,
        ...(estimated || bill.estimated ? { estimated: true } : {}),
      });
    };

    try {
      for (const name of resume ? p.order.slice(resume.startAt) : p.order) {
        const adapter = core.adapters.get(name)!;
        const breaker = core.breakers.get(name)!;
        const spec = core.modelMap[p.tier][name];
        const wd = createWatchdog(core.timeoutMs, ctx.signal);
        const request = sent ? withPrefix(p.request, sent) : p.request;
        const maxTokens = Math.max(1, p.maxTokens[name] - estimateTokens(sent));
        const call = { request, spec, maxTokens, cacheKey: p.cacheKey, signal: wd.signal };
        const trimLead = /\s$/.test(sent);
        const tools = createToolCallBuffer();
        current = { provider: name, model: spec.model };
        attemptText = '';
        attemptUsage = undefined;
        requested = false;
        let it: AsyncIterator<StreamEvent[]> | undefined;
        let completed = false;
        try {
          // The breaker sees the attempt succeed only once a first event arrived: a stream that is
          // accepted and then dies is a failure of the provider.
          const started = await breaker.execute(async () => {
            core.counters.attempts[name] += 1;
            requested = true;
            const iter = (await adapter.stream(call))[Symbol.asyncIterator]();
            return { iter, first: await iter.next() };
          });
          it = started.iter;
          let r = started.first;
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
                tools.add(ev);
                attemptText += ev.arguments;
              } else if (ev.type === 'usage') {
                attemptUsage = ev.usage;
              } else if (finish === null) {
                finish = ev.reason;
                const calls = tools.take();
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
              if (d.reason === 'aborted') cancelled();
              else reject(err);
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
        const bill = attemptBill(attemptUsage, p.promptTokens, attemptText, false);
        usage = addUsage(usage, bill.usage);
        estimated ||= bill.estimated;
        if (completed) {
          done = { provider: name, model: spec.model };
          break;
        }
      }

      if (!done) {
        const err = exhausted(decisions, core.halfOpenAfterMs);
        reject(err);
        throw err;
      }
      resolve({
        ...done,
        tier: p.tier,
        failedOver: failovers > 0,
        failovers,
        pruned: p.pruned,
        usage,
        ...(estimated ? { estimated: true } : {}),
      });
      if (p.includeUsage) yield usageChunk(id, model, created, usage);
    } catch (err) {
      if (!settled) reject(err);
      throw err;
    } finally {
      // Left early without a result or an error: the consumer stopped the stream (cancel()).
      if (!settled) cancelled();
    }
  }

  const gen = run();
  return openMeteredStream(gen, p.pruned, meta, ctx.signal);
}
