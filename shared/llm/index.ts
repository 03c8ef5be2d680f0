/** Public surface of the LLM gateway core (both planes import from here). */
export { createLlmGateway, type LlmGateway, type LlmGatewayDeps, type ChatResult, type OpenAITransport } from './gateway.ts';
export type { LlmMeta, LlmCallContext, GatewayMetrics } from './core.ts';
export type { LlmStream } from './stream.ts';
export type { LlmSseStream } from './passthrough.ts';
export type { PruneReport } from './context-budget.ts';
export { pruneHeader } from './context-budget.ts';
export { createTokenCounter, tokenUpperBound, type TokenCounter } from './tokens.ts';
export { countTokens } from './token-count-core.ts';
export type { LlmUsage } from './usage.ts';
export { totalTokens } from './usage.ts';
export { DEFAULT_MODEL_MAP, type ModelMap, type ModelSpec, type Tier, type ProviderName } from './models.ts';
export type { BreakerOptions, BreakerState } from './breaker.ts';
export * from './errors.ts';
export type { ProviderAdapter, ProviderCall } from './providers/types.ts';
