import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../../shared/log.ts';
import { newUlid } from '../../shared/ids.ts';
import { installErrorHandler } from './middleware/error-handler/index.ts';
import { installRequestId, REQUEST_ID_HEADER, SAFE_REQUEST_ID } from './middleware/request-id/index.ts';

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
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : newUlid();
    },
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  installRequestId(app);
  installErrorHandler(app);
  return app;
}
