import { isBreakerRefusal } from './breaker.ts';
import type { Core, LlmCallContext, LlmMeta, Prepared } from './core.ts';
import { LlmCallerGoneError, LlmError, UpstreamBadResponseError, UpstreamRejectedError, UpstreamUnavailableError } from './errors.ts';
import { decideFailover, retryAfterSecondsFor, type FailoverDecision } from './failover.ts';
import type { ModelSpec, ProviderName } from './models.ts';
import { addUsage, attemptBill, ZERO_USAGE, type LlmUsage } from './usage.ts';
import { createWatchdog } from './watchdog.ts';

/**
 * The one attempt loop of the gateway: for each provider in order, its breaker, the attempt count,
 * the watchdog, the failover decision, the failure counters, the log line, and what every attempt
 * is billed (also one the caller abandoned, and one that broke after producing output). What an
 * attempt does with the provider is its consumer's: a whole answer (chat.ts), normalized stream
 * events turned into chunks (chunk-stream.ts), or the upstream's own events passed through
 * (passthrough/). A consumer's run is a synchronous transformer; the loop does all the awaiting,
 * so a streamed piece crosses no more async hops than it has to.
 */

/** One provider attempt, as the loop hands it to a consumer. */
export type Attempt = {
  readonly provider: ProviderName;
  readonly spec: ModelSpec;
  /** Aborts when the caller leaves, when the watchdog fires, or when the attempt is abandoned. */
  readonly signal: AbortSignal;
};

/** What the provider produced first, and the rest of its stream (none for a whole answer). */
export type Opened = { first: IteratorResult<unknown>; rest?: AsyncIterator<unknown> };

/** A consumer's side of one attempt; the loop reads `usage`, `finished` and `produced()` to bill it. */
export type AttemptRun<Out> = {
  /**
   * Calls the provider and waits for what it produces first: the answer, or a stream's first
   * piece. Runs inside the provider's breaker, which counts the attempt a success once this
   * resolves: a stream that is accepted and then dies is a failure of the provider.
   */
  open(): Promise<Opened>;
  /** One piece of what the provider produced → what the caller gets now (nothing: '' or undefined). Throws if the stream is broken. */
  take(piece: unknown): Out | undefined;
  /** Once the call completed on this attempt: a last piece for the caller, given what the call is billed in all. */
  end?(billed: LlmUsage): Out | undefined;
  /** The provider's usage report, once it came. */
  readonly usage: LlmUsage | undefined;
  /** The answer is complete (finish reason seen): a break after this loses only the usage report. */
  readonly finished: boolean;
  /** What the provider produced in this attempt (text, tool arguments), for an estimate when no usage report came. */
  produced(): string;
  /** The provider's id of this request, once known (a stream's response headers). */
  readonly providerRequestId?: string;
};

export type Consumer<Out> = {
  start(a: Attempt): AttemptRun<Out>;
  /** Whether the caller already holds part of the answer (a failover now is a mid-stream one). */
  midStream(): boolean;
};

/** How the loop settles the call's meta: on completion, on cancellation (resolved, `cancelled`), or on failure. */
export type MetaSettler = { resolve(meta: LlmMeta): void; reject(err: unknown): void };

/**
 * Runs the call's attempts and yields what the consumer produces for the caller. Returns once an
 * attempt completed; throws the error the caller should see once no provider can answer (an
 * LlmCallerGoneError, with what was billed, when the caller left). `settle` is called exactly
 * once, also when the consumer stops early (return()): then with `cancelled` and the usage billed
 * up to that point.
 */
export async function* runAttempts<Out>(
  core: Core,
  p: Prepared,
  ctx: LlmCallContext,
  consumer: Consumer<Out>,
  settle: MetaSettler,
): AsyncGenerator<Out, void, undefined> {
  const decisions: FailoverDecision[] = [];
  let usage: LlmUsage = ZERO_USAGE;
  let estimated = false;
  let failovers = 0;
  let settled = false;
  // The attempt under way, kept here so that a cancellation at any point bills it.
  let provider: ProviderName = p.order[0];
  let model = '';
  let run: AttemptRun<Out> | undefined;
  let requested = false; // the attempt's request went out: the provider bills its prompt

  const meta = (cancelled: boolean): LlmMeta => {
    const m: LlmMeta = { provider, model, tier: p.tier, failedOver: failovers > 0, failovers, pruned: p.pruned, usage };
    if (cancelled) m.cancelled = true;
    if (estimated) m.estimated = true;
    return m;
  };
  /** The caller went away: what the attempt under way produced is billed too. */
  const cancelled = (): LlmMeta => {
    if (run) addBill(attemptBill(run, p.promptTokens, requested));
    settled = true;
    const m = meta(true);
    settle.resolve(m);
    return m;
  };
  const addBill = (bill: { usage: LlmUsage; estimated: boolean }) => {
    usage = usage === ZERO_USAGE ? bill.usage : addUsage(usage, bill.usage);
    estimated ||= bill.estimated;
  };
  const fail = (err: unknown): never => {
    settled = true;
    settle.reject(err);
    throw err;
  };

  try {
    for (const name of p.order) {
      const breaker = core.breakers.get(name)!;
      const spec = core.modelMap[p.tier][name];
      const wd = createWatchdog(core.timeoutMs, ctx.signal);
      const r = consumer.start({ provider: name, spec, signal: wd.signal });
      provider = name;
      model = spec.model;
      run = r;
      requested = false;
      let rest: AsyncIterator<unknown> | undefined;
      let opened = false;
      let completed = false;
      try {
        const o = await breaker.execute(() => {
          core.counters.attempts[name] += 1;
          requested = true;
          return r.open();
        });
        opened = true;
        rest = o.rest;
        let piece = o.first;
        while (!piece.done) {
          if (rest) wd.kick(); // the time allowed runs from the latest piece of a stream
          const out = r.take(piece.value);
          if (out) yield out;
          if (!rest) break;
          piece = await rest.next();
        }
        if (!r.finished) throw new UpstreamBadResponseError(name);
        completed = true;
      } catch (raw) {
        const err = wd.explain(raw);
        if (isBreakerRefusal(err)) {
          core.counters.skippedOpen[name] += 1;
          continue;
        }
        const d = decideFailover(err, ctx.signal);
        if (!r.finished) {
          core.counters.failures[name] += 1;
          if (d.failover && opened) breaker.recordFailure(err);
          if (d.reason === 'aborted') throw new LlmCallerGoneError(cancelled(), { cause: err });
          const providerRequestId = d.providerRequestId ?? r.providerRequestId;
          if (!d.failover) fail(rejectedBy(name, err, d, providerRequestId));
          decisions.push(d);
          failovers += 1;
          const midStream = consumer.midStream();
          if (midStream) core.counters.midStreamFailovers += 1;
          core.counters.failovers += 1;
          logFailover(core, ctx, name, d, midStream, providerRequestId);
        }
        // A break after the finish lost only the usage report; the answer is complete.
        completed = r.finished;
      } finally {
        wd.done();
        if (!completed) {
          wd.cancel();
          if (rest) void rest.return?.().catch(() => undefined);
        }
      }
      // Broken attempts are billed by providers too; without their usage report, estimate it.
      addBill(attemptBill(r, p.promptTokens, false));
      if (completed) {
        settled = true;
        settle.resolve(meta(false));
        const last = r.end?.(usage);
        if (last) yield last;
        return;
      }
    }
    fail(exhausted(decisions, core.halfOpenAfterMs));
  } finally {
    // Left without a result or an error: the consumer stopped the stream (return()).
    if (!settled) cancelled();
  }
}

/** A non-failover provider error as the caller should see it. */
function rejectedBy(provider: ProviderName, err: unknown, d: FailoverDecision, providerRequestId?: string): LlmError {
  if (err instanceof LlmError) return err;
  return new UpstreamRejectedError(d.status ?? 400, provider, { cause: err, providerRequestId });
}

/** The error once no provider could answer. */
function exhausted(decisions: FailoverDecision[], halfOpenAfterMs: number): LlmError {
  if (decisions.length > 0 && decisions.every((d) => d.reason === 'bad_response')) {
    return new UpstreamBadResponseError(decisions.length > 1 ? 'every provider' : 'the provider');
  }
  if (decisions.length === 0) {
    return new UpstreamUnavailableError('all LLM providers are temporarily unavailable (circuit open)', {
      retryAfterSeconds: Math.max(1, Math.ceil(halfOpenAfterMs / 1000)),
    });
  }
  return new UpstreamUnavailableError('all LLM providers failed for this request', { retryAfterSeconds: retryAfterSecondsFor(decisions) });
}

/**
 * Failure log line: provider, reason, status and the provider's request id only; provider error
 * bodies may echo the prompt. `reqId` is the field name fastify and the proxy's own lines use, so
 * one grep joins a request.
 */
function logFailover(
  core: Core,
  ctx: LlmCallContext,
  provider: ProviderName,
  d: FailoverDecision,
  midStream: boolean,
  providerRequestId: string | undefined,
): void {
  core.log.warn(
    { reqId: ctx.requestId, tenant: ctx.tenant, provider, reason: d.reason, status: d.status, midStream, providerRequestId },
    'llm upstream attempt failed; trying next provider',
  );
}
