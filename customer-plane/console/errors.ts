import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, UnavailableError } from '../../shared/errors.ts';
import { sessionOf } from './session-auth.ts';
import { errorPage } from './views/error.ts';

/** Fastify's own client errors, by code, as the console names them (the local API's names). */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_form',
  FST_ERR_BAD_URL: 'invalid_url',
};

/**
 * Every console failure is an HTML page with the right status: a refused request says why, by its
 * code, and that nothing was changed; a database outage is 503 with Retry-After; anything else a 500
 * that says nothing more (logged). A page asked for without a session goes to the login page.
 */
export function installConsoleErrorHandler(app: FastifyInstance): void {
  const send = (req: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, problems?: string[]) => {
    if (!req.raw.complete) reply.header('connection', 'close');
    const s = sessionOf(req);
    const viewer = s ? { csrfToken: s.csrfToken, name: s.principal.name } : undefined;
    return reply.status(status).type('text/html; charset=utf-8').send(errorPage({ status, code, message, problems, viewer }).toString());
  };
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.status === 401 && (req.method === 'GET' || req.method === 'HEAD')) return reply.redirect('/login', 303);
      const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      if (err instanceof UnavailableError)
        req.log.warn({ dependency: err.dependency, code: err.code }, 'console: a dependency is unavailable');
      else if (err.status >= 500) req.log.error({ err, code: err.code }, 'console request failed');
      else req.log.info({ code: err.code, status: err.status }, 'console request refused');
      const problems = Array.isArray(err.details?.problems) ? (err.details.problems as string[]) : undefined;
      return send(req, reply, err.status, err.code, err.message, problems);
    }
    const fe = err as Partial<FastifyError>;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = (fe.code && FASTIFY_CLIENT_ERRORS[fe.code]) ?? 'bad_request';
      const message =
        code === 'unsupported_media_type'
          ? 'the console takes HTML forms only (application/x-www-form-urlencoded); nothing was changed'
          : code === 'body_too_large'
            ? 'the form is larger than the console accepts; nothing was changed'
            : code === 'invalid_url'
              ? 'the URL is not valid'
              : 'the request is malformed; nothing was changed';
      req.log.info({ code, status: fe.statusCode }, 'console request refused');
      return send(req, reply, fe.statusCode, code, message);
    }
    req.log.error({ err }, 'console: unhandled error');
    return send(req, reply, 500, 'internal', 'internal error; nothing more is said here (see the customer plane’s log)');
  });
  app.setNotFoundHandler((req, reply) => send(req, reply, 404, 'not_found', 'there is no such page in the console'));
}
