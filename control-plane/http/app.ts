import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../../shared/log.ts';
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

export type HttpAppOptions = {
  log: Logger;
  /** Largest request body accepted, in bytes; larger bodies get 413 before any handler runs. */
  bodyLimit?: number;
};

/** The fastify instance every control-plane route is mounted on: ids, errors, limits. */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // false: fastify would otherwise trust the header verbatim; genReqId vets it instead.
    requestIdHeader: false,
    // Request ids need not sort, so a random UUID (no clock read, no monotonic state): the ULID
    // generator was ~3-4% of the LLM proxy's CPU. Workflow and event ids stay ULIDs.
    genReqId: (req) => acceptedRequestId(req.headers[REQUEST_ID_HEADER.http]) ?? randomUUID(),
    // A Host-less HTTP/1.1 request reaches the error handler's hook, which refuses it in the JSON
    // shape; Node's own refusal has an empty body.
    http: { requireHostHeader: false },
    // Refused in our own JSON shape by the error handler's closing hook instead.
    return503OnClosing: false,
    // Errors before routing, and requests Node's parser refused, in the same JSON shape.
    frameworkErrors,
    clientErrorHandler,
    childLoggerFactory: (logger, bindings, opts) => lazyChildLogger(logger as Logger, bindings, opts),
  }) as unknown as FastifyInstance;
  // JSON only: a text body would otherwise reach handlers as a string and fail with a vaguer error.
  app.removeContentTypeParser('text/plain');
  installRequestId(app);
  installErrorHandler(app);
  // Every route registered, with whether it has a preHandler (requireAuth): tests walk this list so
  // a new route without authentication cannot slip in unnoticed.
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: r.url, authenticated: Boolean(r.preHandler) });
    }
  });
  app.decorate('routeList', () => [...routes]);
  return app;
}
