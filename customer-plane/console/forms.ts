import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../shared/errors.ts';

/** Forms are small: a note of 500 characters, a token, a secret. */
export const FORM_BODY_LIMIT = 16 * 1024;

/**
 * The console accepts one kind of request body: an HTML form (`application/x-www-form-urlencoded`),
 * as UTF-8, each field at most once. Any other content type is 415; a field given twice or bytes
 * that are not UTF-8 are 400 naming the problem — before any handler runs. Field values are then
 * checked by each route's strict schema (unknown fields refused).
 */
export function installFormParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new BadRequestError('the form is not valid UTF-8', { code: 'invalid_form' }), undefined);
    }
    const seen = new Set<string>();
    for (const name of new URLSearchParams(text).keys()) {
      if (seen.has(name))
        return done(
          new BadRequestError(`the form gives the field "${name.slice(0, 40)}" more than once`, { code: 'invalid_form' }),
          undefined,
        );
      seen.add(name);
    }
    // fromEntries defines own properties, so a field named __proto__ is a field like any other.
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
}
