import { z } from 'zod';
import { loadConfig } from '../../shared/config.ts';
import { createDb, type Db } from '../../shared/db/pool.ts';
import { embeddedPostgresUrl } from '../../shared/db/embedded-postgres.ts';
import { ConfigError } from '../../shared/errors.ts';

/**
 * Where the customer plane's CLIs find its database: DATABASE_URL, or without it the embedded Postgres
 * the plane runs in STATE_DIR (it must be running: the plane runs it). Every CLI takes the same two
 * variables as the plane, so one command line works for both.
 */
export const cliDatabaseEnvShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  STATE_DIR: z.string().default('.state/customer-plane'),
};

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
  return createDb({ databaseUrl: cliDatabaseUrl(cli, env), max: 1 });
}
