import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { BadRequestError } from './errors.ts';

/**
 * What both planes' HTTP apps (the control plane's API and the customer plane's local API) do alike
 * with a request's input: JSON bodies only, strict UTF-8, and strict schemas whose 400 names every
 * offending field.
 */

/**
 * JSON only: a text body would otherwise reach handlers as a string and fail with a vaguer error; and
 * bytes that are not UTF-8 are refused (`invalid_utf8`), not decoded to U+FFFD and stored as something else.
 */
export function acceptJsonOnly(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new BadRequestError('request body is not valid UTF-8', { code: 'invalid_utf8' }), undefined);
    }
    parseJson(req, text, done);
  });
}

/** Parses request input with a strict schema; the 400 `invalid_request` names every offending field. */
export function parseStrict<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.join(', ')}${path ? ` in ${path}` : ''}`;
    return `${path || where}: ${i.message}`;
  });
  throw new BadRequestError(`invalid ${where}: ${problems.join('; ')}`, { code: 'invalid_request', details: { problems } });
}

/** An unknown route, in the `{error: {code, message}}` shape: its method and path, never its query. */
export function installJsonNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}
