/** The one public entry of the LLM gateway core: both planes, scripts and benches import from here (see README.md). */
export {
  createLlmGateway,
  DEFAULT_OPENAI_TRANSPORT,
  OPENAI_TRANSPORTS,
  type LlmGateway,
  type LlmGatewayDeps,
  type OpenAITransport,
} from './gateway.ts';
export type { ChatResult } from './chat.ts';
export type { LlmSseStream } from './stream.ts';
export type { MeteredStream } from './metered-stream.ts';
export type { LlmMeta, LlmCallContext, GatewayMetrics } from './core.ts';
export type { PruneReport } from './context-budget.ts';
export { pruneHeader } from './context-budget.ts';
export { createTokenCounter, tokenUpperBound, type TokenCounter } from './tokens.ts';
export { countTokens } from './token-count-core.ts';
export type { LlmUsage } from './usage.ts';
export { totalTokens } from './usage.ts';
export { DEFAULT_MODEL_MAP, type ModelMap, type ModelSpec, type Tier, type ProviderName } from './models.ts';
export type { BreakerOptions, BreakerState } from './breaker.ts';
export * from './errors.ts';
export type { ApiKey, ProviderAdapter, ProviderCall, ProviderConfig } from './providers/types.ts';
export type { NormalizedResult, StreamEvent } from './normalized.ts';
