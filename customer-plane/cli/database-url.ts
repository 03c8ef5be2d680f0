import { z } from 'zod';
import { EVEN_WITH_OTHER_PROBLEMS, loadConfig } from '../../shared/config.ts';
import { createDb, type Db } from '../../shared/db/pool.ts';
import { embeddedPostgresUrl } from '../../shared/db/embedded-postgres.ts';
import type { DbPassword } from '../../shared/db/password.ts';
import { ConfigError } from '../../shared/errors.ts';
import { databasePasswordRule, databasePasswordSecretField } from '../config.ts';
import { databasePasswordOf } from '../secrets/database-password.ts';

/**
 * Where the customer plane's CLIs find its database: DATABASE_URL, or without it the embedded Postgres
 * the plane runs in STATE_DIR (it must be running: the plane runs it). Every CLI takes the same
 * variables as the plane, so one command line works for both.
 */
export const cliDatabaseEnvShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  STATE_DIR: z.string().default('.state/customer-plane'),
};

/** What the plane's DATABASE_PASSWORD_SECRET needs (config.ts), read the same way by every CLI. */
const cliDatabasePasswordSchema = z
  .object({
    DATABASE_URL: cliDatabaseEnvShape.DATABASE_URL,
    DATABASE_PASSWORD_SECRET: databasePasswordSecretField,
    AWS_REGION: z.string().optional(),
    AWS_SECRETS_ENDPOINT: z.string().url().optional(),
  })
  .superRefine(databasePasswordRule, EVEN_WITH_OTHER_PROBLEMS);

/** The plane's database as the plane reaches it: the URL, and the password source DATABASE_PASSWORD_SECRET names. */
export function cliDatabase(
  cli: string,
  env: { DATABASE_URL?: string; STATE_DIR: string },
  processEnv: Record<string, string | undefined> = process.env,
): { databaseUrl: string; password?: DbPassword } {
  const password = databasePasswordOf(loadConfig(cli, cliDatabasePasswordSchema, processEnv));
  return { databaseUrl: cliDatabaseUrl(cli, env), password };
}

export function cliDatabaseUrl(cli: string, env: { DATABASE_URL?: string; STATE_DIR: string }): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  try {
    return embeddedPostgresUrl(env.STATE_DIR, 'agentplane');
  } catch {
    throw new ConfigError(cli, [`DATABASE_URL is not set and ${env.STATE_DIR} has no embedded Postgres: set DATABASE_URL or STATE_DIR`]);
  }
}

/** The plane's database for a CLI that needs nothing else from the environment: one connection, ended by the caller. */
export function openCliDatabase(cli: string): Db {
  const env = loadConfig(cli, z.object(cliDatabaseEnvShape));
  return createDb({ ...cliDatabase(cli, env), max: 1 });
}
