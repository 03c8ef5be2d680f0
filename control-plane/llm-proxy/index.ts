import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from '../../shared/log.ts';
import { createLlmGateway, type BreakerOptions, type LlmGateway, type ModelMap } from '../../shared/llm/index.ts';
import type { TokenVerifier } from '../../shared/tokens.ts';
import { createLlmBudget } from './budget.ts';
import type { LlmProxyEnv } from './config.ts';
import { createUsageCounters, type UsageCounters } from './counters.ts';
import { createLlmRateLimiter } from './limiter.ts';
import { createLlmProxyMetrics, type LlmProxyMetrics } from './metrics.ts';
import { createLlmProxyRoutes } from './routes.ts';
import { createInflightCalls } from './inflight.ts';

export { createLlmProxyRoutes } from './routes.ts';
export { llmProxyEnvSchema, type LlmProxyEnv } from './config.ts';
export { createLlmRateLimiter } from './limiter.ts';
export { createLlmBudget } from './budget.ts';
export { createUsageCounters } from './counters.ts';
export { createLlmProxyMetrics } from './metrics.ts';
export { BudgetExceededError, RateLimitedError } from './errors.ts';

/** What the environment does not set: choices of the code that builds the proxy (tests, benches). */
export type LlmProxyOptions = {
  modelMap?: ModelMap;
  /** Breaker settings beyond LLM_BREAKER_*; these win over the environment's. */
  breaker?: BreakerOptions;
  /** Namespace of the limiter's and budget's Redis keys (`<prefix>:rl`, `<prefix>:budget`). */
  redisKeyPrefix?: string;
  metrics?: LlmProxyMetrics;
};

/**
 * Builds the proxy's parts from its environment: gateway with the configured providers, limiter
 * and budget on Redis when given (else in-process), usage counters on Postgres when given.
 * Returns null when no provider key is configured (routed mode unavailable), after one log line.
 */
export function createLlmProxy(
  opts: { env: LlmProxyEnv; log: Logger; verifier: TokenVerifier; db?: pg.Pool; redis?: Redis } & LlmProxyOptions,
): {
  gateway: LlmGateway;
  counters: UsageCounters;
  routes: ReturnType<typeof createLlmProxyRoutes>;
  /** Shutdown: waits for the calls in flight until `deadlineMs`, cuts the rest, and writes every call's usage. */
  drain(deadlineMs: number): Promise<{ finished: number; cut: number }>;
  close(): Promise<void>;
} | null {
  const { env, log } = opts;
  const providers = {
    ...(env.OPENAI_API_KEY ? { openai: { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL } } : {}),
    ...(env.ANTHROPIC_API_KEY ? { anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL } } : {}),
  };
  if (!providers.openai && !providers.anthropic) {
    log.info('no OPENAI_API_KEY or ANTHROPIC_API_KEY: the routed LLM proxy is disabled');
    return null;
  }
  if (!opts.redis) log.info('REDIS_URL not set: LLM rate limits and budgets are in-process (single replica)');
  const metrics = opts.metrics ?? createLlmProxyMetrics();
  const gateway = createLlmGateway({
    providers,
    openaiTransport: env.LLM_OPENAI_TRANSPORT,
    log,
    timeoutMs: env.LLM_TIMEOUT_MS,
    breaker: {
      consecutiveFailures: env.LLM_BREAKER_CONSECUTIVE_FAILURES,
      halfOpenAfterMs: env.LLM_BREAKER_HALF_OPEN_MS,
      ...opts.breaker,
    },
    modelMap: opts.modelMap,
    onBreakerChange: metrics.onBreakerChange,
  });
  const keys = (part: string) => (opts.redisKeyPrefix ? { keyPrefix: `${opts.redisKeyPrefix}:${part}` } : {});
  const counters = createUsageCounters({ db: opts.db, log, flushEveryMs: env.LLM_USAGE_FLUSH_MS });
  const inflight = createInflightCalls();
  const routes = createLlmProxyRoutes({
    inflight,
    gateway,
    verifier: opts.verifier,
    limiter: createLlmRateLimiter({ rpm: env.LLM_RATE_LIMIT_RPM, tpm: env.LLM_RATE_LIMIT_TPM, redis: opts.redis, ...keys('rl') }),
    budget: createLlmBudget({ monthlyTokens: env.LLM_MONTHLY_TOKEN_BUDGET, redis: opts.redis, ...keys('budget') }),
    counters,
    log,
    metrics,
  });
  return {
    gateway,
    counters,
    routes,
    async drain(deadlineMs) {
      const open = inflight.size;
      if (open) log.info({ open, deadlineMs }, 'draining: waiting for the LLM calls in flight');
      const outcome = await inflight.drain(deadlineMs);
      if (open) log.info(outcome, 'LLM calls drained: finished ones counted, the rest cut at the deadline and counted');
      // Every call is in the counters now; write them while the pool is still open.
      await counters.flush().catch((err: Error) => log.error({ err: { message: err.message } }, 'llm usage flush at shutdown failed'));
      return outcome;
    },
    async close() {
      await counters.close().catch(() => undefined);
      await gateway.close();
    },
  };
}
