import type { Redis } from 'ioredis';
import { BudgetExceededError } from './errors.ts';
import { UnavailableError } from '../../shared/errors.ts';

/**
 * Per-tenant monthly token budget (UTC calendar month). Checked before each call, charged after
 * it with the real usage, so one request can overshoot by its own size but never start once the
 * budget is spent. Redis makes the count shared by all replicas; memory is the embedded default.
 */
export type LlmBudget = {
  check(tenant: string): Promise<void>;
  spend(tenant: string, tokens: number): Promise<void>;
  used(tenant: string): Promise<number>;
};

/**
 * The UTC month of a time as YYYY-MM. Every request reads it twice, so the label is kept until the
 * clock leaves its month instead of formatting a date each time.
 */
function createMonthOf(): (ms: number) => string {
  let from = Infinity;
  let until = -Infinity;
  let label = '';
  return (ms) => {
    if (ms < from || ms >= until) {
      const d = new Date(ms);
      from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      until = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      label = d.toISOString().slice(0, 7);
    }
    return label;
  };
}

function secondsToMonthEnd(ms: number): number {
  const d = new Date(ms);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - ms) / 1000));
}

export function createLlmBudget(opts: { monthlyTokens: number; redis?: Redis; keyPrefix?: string; clock?: () => number }): LlmBudget {
  const prefix = opts.keyPrefix ?? 'ap:llm:budget';
  const clock = opts.clock ?? Date.now;
  const memory = new Map<string, number>();
  const monthOf = createMonthOf();
  const key = (tenant: string) => `${prefix}:${tenant}:${monthOf(clock())}`;

  async function used(tenant: string): Promise<number> {
    if (!opts.redis) return memory.get(key(tenant)) ?? 0;
    try {
      return Number((await opts.redis.get(key(tenant))) ?? 0);
    } catch (err) {
      // Without the shared count the budget cannot be enforced: refuse for now (503), never guess.
      throw new UnavailableError('redis', 'the LLM budget store is unavailable; retry shortly', { cause: err });
    }
  }

  return {
    used,
    async check(tenant) {
      if ((await used(tenant)) >= opts.monthlyTokens) throw new BudgetExceededError(secondsToMonthEnd(clock()));
    },
    async spend(tenant, tokens) {
      if (tokens <= 0) return;
      const k = key(tenant);
      if (!opts.redis) {
        memory.set(k, (memory.get(k) ?? 0) + tokens);
        return;
      }
      // Kept a little over a month so the key outlives the month it counts, then disappears.
      await opts.redis
        .multi()
        .incrby(k, tokens)
        .expire(k, 40 * 24 * 3600)
        .exec();
    },
  };
}
