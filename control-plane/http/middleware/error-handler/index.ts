import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../../shared/errors.ts';

/**
 * One place turns every failure into `{error: {code, message}}`. Client mistakes (bad JSON, wrong
 * content type, oversized bodies, schema violations) are 4xx and name the problem; anything
 * unexpected is a 500 that says nothing about internals and is logged with the request id.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err, code: err.code }, 'request failed');
      else req.log.info({ code: err.code, status: err.status }, 'request rejected');
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...err.details } });
    }
    const fe = err as FastifyError;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = clientErrorCode(fe);
      req.log.info({ code, status: fe.statusCode }, 'request rejected');
      return reply.status(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}

function clientErrorCode(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    default:
      return err.statusCode === 400 && err.message.includes('JSON') ? 'invalid_json' : 'bad_request';
  }
}
