import type { z } from 'zod';
import { parseStrict } from '../../../shared/http-input.ts';

/** Parses request input with a strict schema; the 400 `invalid_request` names every offending field. */
export function parseLocalInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'path' | 'query'): z.infer<S> {
  return parseStrict(schema, input, where);
}
