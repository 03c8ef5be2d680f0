import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../../shared/errors.ts';
import { installJsonNotFound } from '../../../shared/http-input.ts';

/** Fastify's own client errors, by code, as the local API names them. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'invalid_url',
};

/**
 * Every local API response that is not a success is `{error: {code, message}}`: our errors with their
 * status and code, a client's malformed request as 4xx, anything else a 500 that says nothing more.
 */
export function installLocalErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err, code: err.code }, 'local API request failed');
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...err.details } });
    }
    const fe = err as Partial<FastifyError>;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = (fe.code && FASTIFY_CLIENT_ERRORS[fe.code]) ?? 'bad_request';
      return reply.status(fe.statusCode).send({ error: { code, message: code === 'invalid_url' ? 'the URL is not valid' : err.message } });
    }
    req.log.error({ err }, 'local API: unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  installJsonNotFound(app);
}
