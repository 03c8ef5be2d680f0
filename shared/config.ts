import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * Parses a service's environment with its zod schema. Every problem is collected so an operator
 * fixes the deployment in one go: "missing: A, B; invalid: C (expected a URL)".
 * Secrets must be declared without defaults in the schema; this loader never invents values.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings count as unset: a blank variable in a .env file is a mistake, not a value.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? '?');
    // A cross-field rule says why the variable is needed ("required with HUB_NATS_URL"); a plain
    // required field needs no explanation.
    if (cleaned[name] === undefined) missing.push(issue.code === 'custom' ? `${name} (${issue.message})` : name);
    else invalid.push(`${name} (${issue.message})`);
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`missing required variable(s): ${[...new Set(missing)].join(', ')}`);
  if (invalid.length) problems.push(`invalid: ${[...new Set(invalid)].join(', ')}`);
  throw new ConfigError(service, problems);
}

/**
 * Options for a schema's cross-field `superRefine`: run it even when single variables already
 * failed, so one message names every problem. The rule then sees a partly parsed environment and
 * must only test what it reads (`=== undefined`, string comparisons), never assume a type.
 */
export const EVEN_WITH_OTHER_PROBLEMS = { when: () => true };

/** A port number read from the environment. */
export const port = () => z.coerce.number().int().min(0).max(65535);
/** A boolean flag read from the environment ("1", "true", "yes"). */
export const flag = () => z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');
