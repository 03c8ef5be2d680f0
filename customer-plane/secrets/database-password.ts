import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedPassword, type DbPassword } from '../../shared/db/password.ts';
import { OperatorError } from '../../shared/errors.ts';
import type { CustomerPlaneEnv } from '../config.ts';
import { createAwsSecretStore } from './aws-store.ts';

export type DatabasePasswordEnv = Pick<CustomerPlaneEnv, 'DATABASE_PASSWORD_SECRET' | 'AWS_REGION' | 'AWS_SECRETS_ENDPOINT'>;

/**
 * The database password from a JSON secret in AWS Secrets Manager (`{"password": …}`, the shape of the
 * secret RDS keeps and rotates for a master user), read whenever a new connection needs it: a rotation
 * reaches the next connection, no restart. The pool keeps the value briefly (shared/db/password.ts).
 * A store that cannot be read throws SecretsUnavailableError (retryable); a missing secret or one
 * without a password is the operator's to fix (OperatorError). No message carries the value.
 */
export function databasePasswordSource(opts: {
  secretId: string;
  client?: SecretsManagerClient;
  region?: string;
  endpoint?: string;
}): DbPassword {
  // The id is the secret's full ARN or name: no prefix of this stack's own secrets.
  const store = createAwsSecretStore({ prefix: '', client: opts.client, region: opts.region, endpoint: opts.endpoint });
  return async () => {
    const text = await store.get(opts.secretId);
    if (text === undefined)
      throw new OperatorError('database_password_missing', 'the secret DATABASE_PASSWORD_SECRET names does not exist or has no value');
    return passwordOf(text);
  };
}

function passwordOf(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's error: its message quotes the text, and the text is the secret.
    parsed = undefined;
  }
  const password = (parsed as { password?: unknown } | null)?.password;
  if (typeof password !== 'string' || password === '')
    throw new OperatorError('database_password_invalid', 'the secret DATABASE_PASSWORD_SECRET names is not JSON with a "password" string');
  return password;
}

/** The plane's password source when DATABASE_PASSWORD_SECRET is set (one cache for all its users); else the URL's own password (or none). */
export function databasePasswordOf(env: DatabasePasswordEnv): DbPassword | undefined {
  if (!env.DATABASE_PASSWORD_SECRET) return undefined;
  // Cached here, not only in the pool: the start's first connect and migrations share the pool's read.
  return cachedPassword(
    databasePasswordSource({ secretId: env.DATABASE_PASSWORD_SECRET, region: env.AWS_REGION, endpoint: env.AWS_SECRETS_ENDPOINT }),
  );
}
