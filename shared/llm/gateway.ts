import type { Logger } from '../log.ts';
import { DEFAULT_BREAKER, type BreakerOptions, type BreakerState } from './breaker.ts';
import { chatCompletion, type ChatResult } from './chat.ts';
import { emptyCounters, makeBreakers, prepare, type Core, type GatewayMetrics, type LlmCallContext } from './core.ts';
import { LlmInvalidRequestError } from './errors.ts';
import { DEFAULT_MODEL_MAP, type ModelMap, type ProviderName } from './models.ts';
import { createOpenAIHttpAdapter } from './passthrough/openai-http.ts';
import { createAnthropicAdapter } from './providers/anthropic.ts';
import { createOpenAIAdapter } from './providers/openai.ts';
import type { ProviderAdapter, ProviderConfig } from './providers/types.ts';
import { openSseStream, type LlmSseStream } from './stream.ts';
import { createTokenCounter } from './tokens.ts';

/**
 * How OpenAI is called: `sdk`, the official client for every call; `passthrough`, a keep-alive
 * undici pool, and a stream with OpenAI as primary forwards the upstream's own events.
 */
export const OPENAI_TRANSPORTS = ['sdk', 'passthrough'] as const;
export type OpenAITransport = (typeof OPENAI_TRANSPORTS)[number];

/** The transport wherever none is chosen: the gateway, the proxy's LLM_OPENAI_TRANSPORT, the tests' proxy. */
export const DEFAULT_OPENAI_TRANSPORT: OpenAITransport = 'passthrough';

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
  /** Default DEFAULT_OPENAI_TRANSPORT. */
  openaiTransport?: OpenAITransport;
  /** Replaces an SDK-backed adapter (tests). */
  adapters?: Partial<Record<ProviderName, ProviderAdapter>>;
};

export type LlmGateway = {
  /** Non-streaming chat; `request.model` is a tier name (core, ultra). */
  chat(request: unknown, ctx: LlmCallContext): Promise<ChatResult>;
  /**
   * Streaming chat as server-sent-event text for an HTTP response (the proxy). Resolves once the
   * first piece is ready; rejects if no provider could start, so the caller can still answer with
   * a plain HTTP error.
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
  const transport = deps.openaiTransport ?? DEFAULT_OPENAI_TRANSPORT;
  const adapters = new Map<ProviderName, ProviderAdapter>();
  for (const name of deps.order ?? (['openai', 'anthropic'] as const)) {
    const cfg = deps.providers[name];
    const given = deps.adapters?.[name];
    if (given) adapters.set(name, given);
    else if (cfg && name === 'openai') {
      adapters.set(
        name,
        transport === 'passthrough' ? createOpenAIHttpAdapter({ ...cfg, timeoutMs }) : createOpenAIAdapter({ ...cfg, timeoutMs }),
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

  return {
    async chat(input, ctx) {
      const p = await prepare(core, input, ctx);
      if (p.request.stream) throw new LlmInvalidRequestError('chat() is non-streaming; use chatSse()', { param: 'stream' });
      return chatCompletion(core, p, ctx);
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
