import type { FastifyInstance } from 'fastify';
import type { Environments } from '../../../environments/environments.ts';
import { type Authenticator, requireLocalAuth } from '../auth.ts';

/** The customer plane's named environments as configured (no secret values: only each scope's prefix). */
export function environmentRoutes(deps: { environments: Environments; authenticate: Authenticator }) {
  const read = requireLocalAuth(deps.authenticate, 'environments:read');
  return async (app: FastifyInstance) => {
    app.get('/v1/environments', { onRequest: read }, async () => ({
      source: deps.environments.source,
      environments: deps.environments.names().map((n) => deps.environments.getEnvironment(n)),
    }));
  };
}
