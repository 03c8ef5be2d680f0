import { randomUUID } from 'node:crypto';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Logger } from '../log.ts';
import { DEFAULT_BREAKER, isBreakerRefusal, type BreakerOptions, type BreakerState } from './breaker.ts';
import {
  emptyCounters,
  exhausted,
  logFailover,
  makeBreakers,
  prepare,
  rejectedBy,
  type Core,
  type GatewayMetrics,
  type LlmCallContext,
  type LlmMeta,
} from './core.ts';
import { LlmCallerGoneError, LlmInvalidRequestError } from './errors.ts';
import { decideFailover, type FailoverDecision } from './failover.ts';
import { DEFAULT_MODEL_MAP, type ModelMap, type ProviderName } from './models.ts';
import { toCompletion } from './normalized.ts';
import { createAnthropicAdapter } from './providers/anthropic.ts';
import { createOpenAIAdapter } from './providers/openai.ts';
import { createOpenAIHttpAdapter } from './providers/openai-http.ts';
import { openSseStream, type LlmSseStream } from './passthrough.ts';
import type { ProviderAdapter, ProviderConfig } from './providers/types.ts';
import { attemptBill, openStream, type LlmStream } from './stream.ts';
import { createTokenCounter } from './tokens.ts';
import { addUsage, ZERO_USAGE } from './usage.ts';
import { createWatchdog } from './watchdog.ts';

export type LlmGatewayDeps = {
  providers: { openai?: ProviderConfig; anthropic?: ProviderConfig };
  modelMap?: ModelMap;
  log: Logger;
  clock?: () => number;
  /** Time allowed for a reply (non-streaming) or between stream events, including the first. */
  timeoutMs?: number;
  breaker?: BreakerOptions;
  /** Provider preference; the first configured one is primary. Default: openai, then anthropic. */
  order?: ProviderName[];
  onBreakerChange?: (provider: ProviderName, from: BreakerState, to: BreakerState) => void;
  /**
   * How OpenAI is called: `sdk` (the official client) or `passthrough` (undici, streaming the
   * upstream's bytes through when no translation is needed). Default `sdk`.
   */
  openaiTransport?: OpenAITransport;
  /** Replaces an SDK-backed adapter (tests). */
  adapters?: Partial<Record<ProviderName, ProviderAdapter>>;
};

export type OpenAITransport = 'sdk' | 'passthrough';

export type ChatResult = { completion: ChatCompletion; meta: LlmMeta };

export type LlmGateway = {
  /** Non-streaming chat; `request.model` is a tier name (core, ultra). */
  chat(request: unknown, ctx: LlmCallContext): Promise<ChatResult>;
  /** Streaming chat; resolves once the first chunk is ready, rejects if no provider could start. */
  chatStream(request: unknown, ctx: LlmCallContext): Promise<LlmStream>;
  /**
   * Streaming chat as server-sent-event text for an HTTP response (the proxy); the same stream as
   * chatStream, and with the pass-through transport the upstream's own events where possible.
   */
  chatSse(request: unknown, ctx: LlmCallContext): Promise<LlmSseStream>;
  metrics(): GatewayMetrics;
  close(): Promise<void>;
};

/**
 * The LLM gateway core, used by the control-plane proxy (routed mode, our keys) and by the
 * customer plane's runner (direct mode, the customer's keys). It never logs or keeps prompt or
 * completion text: only sizes, models, statuses and token counts leave it.
 */
export function createLlmGateway(deps: LlmGatewayDeps): LlmGateway {
  const timeoutMs = deps.timeoutMs ?? 60_000;
  const adapters = new Map<ProviderName, ProviderAdapter>();
  for (const name of deps.order ?? (['openai', 'anthropic'] as const)) {
    const cfg = deps.providers[name];
    const given = deps.adapters?.[name];
    if (given) adapters.set(name, given);
    else if (cfg && name === 'openai') {
      adapters.set(
        name,
        deps.openaiTransport === 'passthrough'
          ? createOpenAIHttpAdapter({ ...cfg, timeoutMs })
          : createOpenAIAdapter({ ...cfg, timeoutMs }),
      );
    } else if (cfg && name === 'anthropic') adapters.set(name, createAnthropicAdapter({ ...cfg, timeoutMs }));
  }
  if (adapters.size === 0) throw new Error('createLlmGateway: configure at least one provider');
  const order = [...adapters.keys()];
  const counters = emptyCounters();
  const breakerOpts = { ...DEFAULT_BREAKER, ...deps.breaker };
  const core: Core = {
    adapters,
    breakers: makeBreakers(order, breakerOpts, deps.log, counters, deps.onBreakerChange),
    order,
    modelMap: deps.modelMap ?? DEFAULT_MODEL_MAP,
    log: deps.log,
    clock: deps.clock ?? Date.now,
    timeoutMs,
    halfOpenAfterMs: breakerOpts.halfOpenAfterMs,
    counters,
    counter: createTokenCounter(),
  };

  async function chat(input: unknown, ctx: LlmCallContext): Promise<ChatResult> {
    const p = await prepare(core, input, ctx);
    if (p.request.stream) throw new LlmInvalidRequestError('chat() is non-streaming; use chatStream()', { param: 'stream' });
    const decisions: FailoverDecision[] = [];
    for (const name of p.order) {
      const spec = core.modelMap[p.tier][name];
      const wd = createWatchdog(timeoutMs, ctx.signal);
      try {
        const result = await core.breakers.get(name)!.execute(() => {
          counters.attempts[name] += 1;
          return adapters
            .get(name)!
            .complete({ request: p.request, spec, maxTokens: p.maxTokens[name], cacheKey: p.cacheKey, signal: wd.signal });
        });
        const completion = toCompletion(result, `chatcmpl-${randomUUID()}`, p.tier, Math.floor(core.clock() / 1000));
        const failovers = decisions.length;
        return {
          completion,
          meta: {
            provider: name,
            model: spec.model,
            tier: p.tier,
            failedOver: failovers > 0,
            failovers,
            pruned: p.pruned,
            usage: addUsage(ZERO_USAGE, result.usage),
          },
        };
      } catch (raw) {
        const err = wd.explain(raw);
        if (isBreakerRefusal(err)) {
          counters.skippedOpen[name] += 1;
          continue;
        }
        counters.failures[name] += 1;
        const d = decideFailover(err, ctx.signal);
        if (d.reason === 'aborted') {
          // The request had reached the provider, which goes on and bills it: count the prompt.
          const bill = attemptBill(undefined, p.promptTokens, '', true);
          const failovers = decisions.length;
          throw new LlmCallerGoneError(
            {
              provider: name,
              model: spec.model,
              tier: p.tier,
              failedOver: failovers > 0,
              failovers,
              pruned: p.pruned,
              usage: bill.usage,
              cancelled: true,
              estimated: true,
            },
            { cause: err },
          );
        }
        if (!d.failover) throw rejectedBy(name, err, d);
        decisions.push(d);
        counters.failovers += 1;
        logFailover(core, ctx, name, d, false);
      } finally {
        wd.done();
      }
    }
    throw exhausted(decisions, core.halfOpenAfterMs);
  }

  return {
    chat,
    async chatStream(input, ctx) {
      const p = await prepare(core, input, ctx);
      return openStream(core, p, ctx);
    },
    async chatSse(input, ctx) {
      const p = await prepare(core, input, ctx);
      if (!p.request.stream) throw new LlmInvalidRequestError('chatSse() is streaming; set stream: true', { param: 'stream' });
      return openSseStream(core, p, ctx);
    },
    metrics() {
      const breaker = { openai: 'closed', anthropic: 'closed' } as Record<ProviderName, BreakerState>;
      for (const [name, b] of core.breakers) breaker[name] = b.state();
      return structuredClone({ ...counters, breaker });
    },
    async close() {
      for (const b of core.breakers.values()) b.dispose();
      for (const a of adapters.values()) await a.close?.();
      await core.counter.close();
    },
  };
}
