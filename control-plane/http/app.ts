import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { acceptJsonOnly } from '../../shared/http-input.ts';
import type { Logger } from '../../shared/log.ts';
import { capConnectionsPerClient } from './connection-cap.ts';
import { lazyChildLogger } from './lazy-child-logger.ts';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './middleware/error-handler/index.ts';
import { acceptedRequestId, REQUEST_ID_HEADER } from '../../shared/request-id.ts';
import { installRequestId } from './middleware/request-id/index.ts';

export type RouteInfo = { method: string; url: string; authenticated: boolean };

declare module 'fastify' {
  interface FastifyInstance {
    routeList(): RouteInfo[];
  }
}

/** How long a client may take, and how many connections it may hold: a slow client cannot hold sockets forever. */
export type HttpLimits = {
  /** The whole request, headers and body, must arrive within this (ms); slower ones get 408 and are closed. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (ms), also the first request's after connecting. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** Open connections per client address; 0 = no cap. */
  maxConnectionsPerClient: number;
};

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxConnectionsPerClient: 128,
};

export type HttpAppOptions = {
  log: Logger;
  /** Largest request body accepted, in bytes; larger bodies get 413 before any handler runs. */
  bodyLimit?: number;
  limits?: Partial<HttpLimits>;
};

/** The fastify instance every control-plane route is mounted on: ids, errors, limits. */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...opts.limits };
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // Node looks for requests past their timeout this often (default 30 s, which would let a slow
      // client keep its socket half a minute past the limit).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
      // A Host-less HTTP/1.1 request reaches the error handler's hook, which refuses it in the JSON
      // shape; Node's own refusal has an empty body.
      requireHostHeader: false,
    },
    // false: fastify would otherwise trust the header verbatim; genReqId vets it instead.
    requestIdHeader: false,
    // Request ids need not sort, so a random UUID (no clock read, no monotonic state): the ULID
    // generator was ~3-4% of the LLM proxy's CPU. Workflow and event ids stay ULIDs.
    genReqId: (req) => acceptedRequestId(req.headers[REQUEST_ID_HEADER.http]) ?? randomUUID(),
    // Refused in our own JSON shape by the error handler's closing hook instead.
    return503OnClosing: false,
    // Errors before routing, and requests Node's parser refused, in the same JSON shape.
    frameworkErrors,
    clientErrorHandler,
    childLoggerFactory: (logger, bindings, opts) => lazyChildLogger(logger as Logger, bindings, opts),
  }) as unknown as FastifyInstance;
  acceptJsonOnly(app);
  installRequestId(app);
  installErrorHandler(app);
  // Every route registered, with whether it has an onRequest hook (requireAuth, which runs before
  // the body is read): tests walk this list so a new route without authentication cannot slip in.
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: r.url, authenticated: Boolean(r.onRequest) });
    }
  });
  app.decorate('routeList', () => [...routes]);
  capConnectionsPerClient(app.server, limits.maxConnectionsPerClient, opts.log);
  return app;
}
