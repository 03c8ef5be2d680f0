import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';

const CHECK_TIMEOUT_MS = 2000;

/**
 * Liveness says the process serves; readiness says it can do its job (Postgres and the hub
 * reachable). `reports` add facts to the readiness body without deciding it: the links of enrolled
 * customer planes are one (a customer's plane being down must not take the API off the balancer).
 */
export function healthRoutes(deps: {
  checks: Record<string, () => Promise<void>>;
  reports?: Record<string, () => Promise<unknown>>;
  jwks: { keys: JWK[] };
}) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const results: Record<string, 'ok' | 'failing'> = {};
      const reported: Record<string, unknown> = {};
      await Promise.all([
        ...Object.entries(deps.checks).map(async ([name, check]) => {
          try {
            // A dependency that hangs is as unready as one that refuses.
            await withinTimeout(check());
            results[name] = 'ok';
          } catch {
            results[name] = 'failing';
          }
        }),
        ...Object.entries(deps.reports ?? {}).map(async ([name, report]) => {
          reported[name] = await withinTimeout(report()).catch(() => ({ status: 'unknown' }));
        }),
      ]);
      if (Object.values(results).every((r) => r === 'ok')) return { status: 'ready', checks: results, ...reported };
      // Like every other refusal: the error shape (beside the per-check detail) and when to ask again.
      const failing = Object.keys(results).filter((name) => results[name] === 'failing');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({
          status: 'not_ready',
          checks: results,
          ...reported,
          error: { code: 'not_ready', message: `failing: ${failing.join(', ')}` },
        });
    });
    app.get('/.well-known/jwks.json', async () => deps.jwks);
  };
}

function withinTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
