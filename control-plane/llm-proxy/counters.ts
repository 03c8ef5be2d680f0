import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../../shared/log.ts';
import type { LlmMeta } from '../../shared/llm/index.ts';
import type { UsageRow } from '../billing/usage-row.ts';

/**
 * Usage counters per tenant / day / provider model, aggregated in memory on the hot path and
 * flushed to Postgres in the background. Idempotency: each replica has its own row per key and
 * writes its ABSOLUTE running totals with an upsert that only ever raises them (GREATEST), so a
 * repeated, retried or reordered flush cannot double-count; readers sum the replica rows. (The
 * alternative, increments tagged with flush ids, needs a ledger of applied ids; this needs none.)
 * Without a database the counters live in memory only (embedded default).
 */

export type UsageCounters = {
  record(tenant: string, meta: LlmMeta): void;
  flush(): Promise<void>;
  query(tenant: string, fromDay: string, toDay: string): Promise<UsageRow[]>;
  close(): Promise<void>;
};

type Entry = { tenant: string; row: UsageRow; dirty: boolean };

const FIELDS = [
  'requests',
  'cancelled_requests',
  'estimated_requests',
  'input_tokens',
  'cached_input_tokens',
  'cache_creation_tokens',
  'output_tokens',
  'failovers',
] as const;
const COLUMNS = 6 + FIELDS.length;

/**
 * The UTC day of a time as YYYY-MM-DD. Every request asks; the label is kept until the clock leaves
 * its day instead of formatting a date each time.
 */
function createDayOf(): (ms: number) => string {
  let from = Infinity;
  let until = -Infinity;
  let label = '';
  return (ms) => {
    if (ms < from || ms >= until) {
      from = ms - (ms % 86_400_000);
      until = from + 86_400_000;
      label = new Date(from).toISOString().slice(0, 10);
    }
    return label;
  };
}

export function createUsageCounters(opts: {
  db?: pg.Pool;
  log: Logger;
  clock?: () => number;
  /** Background flush period; 0 disables the timer (tests flush explicitly). */
  flushEveryMs?: number;
  replicaId?: string;
}): UsageCounters {
  const clock = opts.clock ?? Date.now;
  const replicaId = opts.replicaId ?? randomUUID();
  const entries = new Map<string, Entry>();
  const dayOf = createDayOf();
  let chain: Promise<void> = Promise.resolve();

  async function writeAll(): Promise<void> {
    if (!opts.db) return;
    const dirty = [...entries.values()].filter((e) => e.dirty);
    if (dirty.length === 0) return;
    for (const e of dirty) e.dirty = false;
    try {
      const values: unknown[] = [];
      const rows = dirty.map((e, i) => {
        const r = e.row;
        values.push(e.tenant, r.day, r.provider, r.model, r.tier, replicaId, ...FIELDS.map((f) => r[f]));
        const b = i * COLUMNS;
        return `(${Array.from({ length: COLUMNS }, (_, k) => `$${b + k + 1}`).join(',')})`;
      });
      await opts.db.query(
        `INSERT INTO llm_usage (tenant_id, day, provider, model, tier, replica_id, ${FIELDS.join(', ')})
         VALUES ${rows.join(',')}
         ON CONFLICT (tenant_id, day, provider, model, tier, replica_id) DO UPDATE SET
         ${FIELDS.map((f) => `${f} = GREATEST(llm_usage.${f}, EXCLUDED.${f})`).join(', ')}, updated_at = now()`,
        values,
      );
    } catch (err) {
      for (const e of dirty) e.dirty = true; // retried with newer totals next time
      throw err;
    }
    // A day more than two days back is final once written (requests count on the clock's day, and a clock does
    // not step back days), so its rows leave memory; yesterday and the day before stay for a late flush.
    const keep = new Date(clock() - 2 * 86_400_000).toISOString().slice(0, 10);
    for (const [k, e] of entries) if (!e.dirty && e.row.day < keep) entries.delete(k);
  }

  // Flushes run one after another; a caller arriving mid-flush waits for it, then writes what is new.
  function flush(): Promise<void> {
    const run = chain.then(writeAll);
    chain = run.catch(() => undefined);
    return run;
  }

  const timer =
    opts.flushEveryMs && opts.db
      ? setInterval(() => {
          flush().catch((err) => opts.log.warn({ err: { message: (err as Error).message } }, 'llm usage flush failed; will retry'));
        }, opts.flushEveryMs)
      : undefined;
  timer?.unref();

  return {
    record(tenant, meta) {
      const day = dayOf(clock());
      const k = `${tenant}|${day}|${meta.provider}|${meta.model}|${meta.tier}`;
      let e = entries.get(k);
      if (!e) {
        e = {
          tenant,
          dirty: true,
          row: {
            day,
            route: 'routed',
            provider: meta.provider,
            model: meta.model,
            tier: meta.tier,
            ...(Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<(typeof FIELDS)[number], number>),
          },
        };
        entries.set(k, e);
      }
      const r = e.row;
      r.requests += 1;
      if (meta.cancelled) r.cancelled_requests += 1;
      if (meta.estimated) r.estimated_requests += 1;
      r.input_tokens += meta.usage.inputTokens;
      r.cached_input_tokens += meta.usage.cachedInputTokens;
      r.cache_creation_tokens += meta.usage.cacheCreationTokens;
      r.output_tokens += meta.usage.outputTokens;
      r.failovers += meta.failovers;
      e.dirty = true;
    },
    flush,
    async query(tenant, fromDay, toDay) {
      if (!opts.db) {
        return [...entries.values()]
          .filter((e) => e.tenant === tenant && e.row.day >= fromDay && e.row.day <= toDay)
          .map((e) => ({ ...e.row }));
      }
      await flush();
      const { rows } = await opts.db.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, 'routed' AS route, provider, model, tier, ${FIELDS.map((f) => `sum(${f})::float8 AS ${f}`).join(', ')}
         FROM llm_usage WHERE tenant_id = $1 AND day BETWEEN $2 AND $3
         GROUP BY day, provider, model, tier ORDER BY day, provider, model, tier`,
        [tenant, fromDay, toDay],
      );
      return rows as UsageRow[];
    },
    async close() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
