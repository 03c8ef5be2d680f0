import type { z } from 'zod';
import { BadRequestError } from '../../../shared/errors.ts';

/** Parses request input with a strict schema; the 400 `invalid_request` names every offending field. */
export function parseLocalInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'path' | 'query'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.join(', ')}${path ? ` in ${path}` : ''}`;
    return `${path || where}: ${i.message}`;
  });
  throw new BadRequestError(`invalid ${where}: ${problems.join('; ')}`, { code: 'invalid_request', details: { problems } });
}
