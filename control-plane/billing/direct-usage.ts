import type { Db } from '../db/pool.ts';
import type { UsageSource } from './usage-row.ts';

/**
 * Direct mode's usage as the vendor sees it: the signed `usage` counters each customer plane sent
 * up for the LLM calls it made with its own keys (stored by telemetry ingest, verified, once per
 * event id). Summed per day, provider and tier; the model is not known here by design.
 */
export function createDirectUsageSource(db: Db): UsageSource {
  return async (tenant, fromDay, toDay) => {
    const n = (field: string) => `sum(coalesce((body->>'${field}')::bigint, 0))::float8`;
    const { rows } = await db.query(
      `SELECT body->>'day' AS day, 'direct' AS route, body->>'provider' AS provider, NULL AS model, body->>'tier' AS tier,
              ${n('requests')} AS requests, ${n('cancelledRequests')} AS cancelled_requests, ${n('estimatedRequests')} AS estimated_requests,
              ${n('inputTokens')} AS input_tokens, ${n('cachedInputTokens')} AS cached_input_tokens,
              ${n('cacheCreationTokens')} AS cache_creation_tokens, ${n('outputTokens')} AS output_tokens, ${n('failovers')} AS failovers
       FROM up_events
       WHERE tenant_id = $1 AND kind = 'usage' AND body->>'day' BETWEEN $2 AND $3
       GROUP BY 1, 3, 5 ORDER BY 1, 3, 5`,
      [tenant, fromDay, toDay],
    );
    return rows;
  };
}
