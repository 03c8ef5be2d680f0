import Fastify, { type FastifyInstance } from 'fastify';
import { acceptJsonOnly } from '../../../shared/http-input.ts';
import type { Logger } from '../../../shared/log.ts';
import type { ApprovalStore } from '../../approvals/store.ts';
import type { Environments } from '../../environments/environments.ts';
import type { Authenticator } from './auth.ts';
import { installLocalErrorHandler } from './errors.ts';
import { isLoopback } from './loopback.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { environmentRoutes } from './routes/environments.ts';

export type LocalApi = { app: FastifyInstance; url: string; close(): Promise<void> };

export type LocalApiDeps = {
  store: ApprovalStore;
  environments: Environments;
  authenticate: Authenticator;
  log: Logger;
  clock?: () => number;
};

/**
 * The customer plane's local API: pending approvals and their decisions, and the environments, over
 * HTTP on a loopback address, authenticated by the local admin secret — never by a vendor token, and
 * never reachable through the control plane. JSON only; every error is `{error: {code, message}}`.
 */
export async function startLocalApi(deps: LocalApiDeps & { host: string; port: number }): Promise<LocalApi> {
  if (!isLoopback(deps.host)) throw new RangeError('the local API listens on a loopback address only');
  const app = await buildLocalApi(deps);
  const url = await app.listen({ host: deps.host, port: deps.port });
  return { app, url, close: () => app.close() };
}

/**
 * The app without listening: the local console (issue 14) builds on it — its own authenticator (a
 * session cookie) and pages registered beside these routes — and listens itself.
 */
export async function buildLocalApi(deps: LocalApiDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? Date.now;
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'local-api' }),
    bodyLimit: 16 * 1024,
    requestTimeout: 30_000,
  }) as unknown as FastifyInstance;
  acceptJsonOnly(app);
  installLocalErrorHandler(app);
  await app.register(approvalRoutes({ store: deps.store, authenticate: deps.authenticate, clock }));
  await app.register(environmentRoutes({ environments: deps.environments, authenticate: deps.authenticate }));
  return app;
}
