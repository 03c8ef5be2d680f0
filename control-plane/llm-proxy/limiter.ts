import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from './errors.ts';

/**
 * Per-tenant requests/min and tokens/min. With Redis the counters are shared by every proxy
 * replica (RateLimiterRedis, atomic in Redis); without it they are in-process, the embedded
 * default for a single replica. A Redis outage degrades to per-replica limits (insurance limiter)
 * rather than failing requests: limits protect cost, they must not become an outage themselves.
 */
export type LlmRateLimiter = {
  /** Counts one request and its estimated prompt tokens; throws RateLimitedError when over. */
  admit(tenant: string, estimatedTokens: number): Promise<void>;
  /** Corrects the token count once real usage is known. */
  settle(tenant: string, estimatedTokens: number, actualTokens: number): Promise<void>;
};

export function createLlmRateLimiter(opts: {
  rpm: number;
  tpm: number;
  redis?: Redis;
  /** Key namespace; tests use a unique one so runs never share counters. */
  keyPrefix?: string;
}): LlmRateLimiter {
  const prefix = opts.keyPrefix ?? 'ap:llm:rl';
  const make = (name: string, points: number): RateLimiterAbstract => {
    const base = { keyPrefix: `${prefix}:${name}`, points, duration: 60 };
    if (!opts.redis) return new RateLimiterMemory(base);
    return new RateLimiterRedis({ ...base, storeClient: opts.redis, insuranceLimiter: new RateLimiterMemory(base) });
  };
  const requests = make('rpm', opts.rpm);
  const tokens = make('tpm', opts.tpm);

  const retryAfter = (err: unknown) => (err instanceof RateLimiterRes ? Math.max(1, Math.ceil(err.msBeforeNext / 1000)) : 1);

  return {
    async admit(tenant, estimatedTokens) {
      const [r, t] = await Promise.allSettled([requests.consume(tenant, 1), tokens.consume(tenant, Math.max(1, estimatedTokens))]);
      if (r.status === 'rejected') {
        if (!(r.reason instanceof RateLimiterRes)) throw r.reason;
        if (t.status === 'fulfilled') await tokens.reward(tenant, Math.max(1, estimatedTokens)).catch(() => undefined);
        throw new RateLimitedError('requests', retryAfter(r.reason));
      }
      if (t.status === 'rejected') {
        if (!(t.reason instanceof RateLimiterRes)) throw t.reason;
        throw new RateLimitedError('tokens', retryAfter(t.reason));
      }
    },
    async settle(tenant, estimatedTokens, actualTokens) {
      const diff = actualTokens - Math.max(1, estimatedTokens);
      if (diff > 0) await tokens.penalty(tenant, diff);
      else if (diff < 0) await tokens.reward(tenant, -diff);
    },
  };
}
