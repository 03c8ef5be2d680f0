import type { z } from 'zod';
import { BadRequestError } from '../../shared/errors.ts';
import { parseStrict } from '../../shared/http-input.ts';

/**
 * Text Postgres cannot store as given, anywhere in the input (values and keys, at any depth): a NUL
 * character (Postgres refuses it: a 500 where the client's mistake deserves a 400) and a lone UTF-16
 * surrogate (Node would silently store U+FFFD instead). Checked for every route before its schema,
 * so no field, present or future, lets either through.
 */
export function unstorableText(input: unknown, path: string[] = [], out: string[] = []): string[] {
  const check = (s: string, at: string[]) => {
    const where = at.join('.') || '(value)';
    if (s.includes('\u0000')) out.push(`${where}: contains a NUL character`);
    else if (!s.isWellFormed()) out.push(`${where}: is not well-formed Unicode (lone surrogate)`);
  };
  if (typeof input === 'string') check(input, path);
  else if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) unstorableText(input[i], [...path, String(i)], out);
  } else if (input !== null && typeof input === 'object') {
    for (const [k, v] of Object.entries(input)) {
      check(k, [...path, k]);
      unstorableText(v, [...path, k], out);
    }
  }
  return out;
}

/** Parses request input with a strict schema; the 400 names every offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const unstorable = unstorableText(input);
  if (unstorable.length) {
    throw new BadRequestError(`invalid ${where}: ${unstorable.join('; ')}`, { code: 'invalid_request', details: { problems: unstorable } });
  }
  return parseStrict(schema, input, where);
}
