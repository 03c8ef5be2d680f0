import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';

const CHECK_TIMEOUT_MS = 2000;

/** Liveness says the process serves; readiness says it can do its job (Postgres and the hub reachable). */
export function healthRoutes(deps: { checks: Record<string, () => Promise<void>>; jwks: { keys: JWK[] } }) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const results: Record<string, 'ok' | 'failing'> = {};
      await Promise.all(
        Object.entries(deps.checks).map(async ([name, check]) => {
          try {
            // A dependency that hangs is as unready as one that refuses.
            await Promise.race([
              check(),
              new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref()),
            ]);
            results[name] = 'ok';
          } catch {
            results[name] = 'failing';
          }
        }),
      );
      if (Object.values(results).every((r) => r === 'ok')) return { status: 'ready', checks: results };
      // Like every other refusal: the error shape (beside the per-check detail) and when to ask again.
      const failing = Object.keys(results).filter((name) => results[name] === 'failing');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ status: 'not_ready', checks: results, error: { code: 'not_ready', message: `failing: ${failing.join(', ')}` } });
    });
    app.get('/.well-known/jwks.json', async () => deps.jwks);
  };
}
