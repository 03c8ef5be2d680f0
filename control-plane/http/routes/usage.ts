import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../../shared/errors.ts';
import { calendarDay } from '../../../shared/calendar-day.ts';
import type { TokenVerifier } from '../../../shared/tokens.ts';
import type { UsageRow, UsageSource } from '../../billing/usage-row.ts';
import { requireAuth, tenantScopeOf } from '../middleware/require-auth/index.ts';
import { parseInput } from '../validate.ts';

// A calendar date that exists, in years Postgres takes (2026-02-30 and year 0000 are refused here,
// not by Postgres as a 500).
const day = calendarDay();
const usageQuery = z.strictObject({ from: day.optional(), to: day.optional() });

const order = (a: UsageRow, b: UsageRow) =>
  a.day.localeCompare(b.day) ||
  a.route.localeCompare(b.route) ||
  a.provider.localeCompare(b.provider) ||
  (a.model ?? '').localeCompare(b.model ?? '');

/**
 * A tenant's LLM usage per day (api token): what the proxy served on the vendor's keys and what
 * the customer plane reported for calls on the customer's own keys, one row per route, provider
 * model and tier. Default range: the current month up to today (UTC).
 */
export function usageRoutes(deps: { verifier: TokenVerifier; sources: UsageSource[]; clock?: () => number }) {
  const api = requireAuth(deps.verifier, 'api');
  const clock = deps.clock ?? Date.now;
  return async (app: FastifyInstance) => {
    app.get('/v1/usage', { onRequest: api }, async (req) => {
      const tenant = tenantScopeOf(req);
      const q = parseInput(usageQuery, req.query, 'query');
      const today = new Date(clock()).toISOString().slice(0, 10);
      const from = q.from ?? `${today.slice(0, 8)}01`;
      const to = q.to ?? today;
      if (from > to) throw new BadRequestError('from must not be after to', { code: 'invalid_range' });
      const parts = await Promise.all(deps.sources.map((source) => source(tenant, from, to)));
      return { object: 'list', from, to, data: parts.flat().sort(order) };
    });
  };
}
