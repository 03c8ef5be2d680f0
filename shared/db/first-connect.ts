import pg from 'pg';
import { AgentplaneError, OperatorError } from '../errors.ts';
import { type DbPassword, newClient } from './password.ts';

/**
 * The first connection a service makes to the Postgres it was given, so a first run on a machine
 * without one fails with what is missing and how to provide it instead of a raw ECONNREFUSED or a
 * SCRAM message. Failures are told apart by the socket error code or the server's SQLSTATE; the
 * one failure pg reports untyped (a server that asks for a password when the URL has none) is
 * recognised by the URL having no password. The password never appears in a message.
 */
export async function checkDatabase(url: string, variable = 'DATABASE_URL', password?: DbPassword): Promise<void> {
  const client = newClient({ connectionString: url, connectionTimeoutMillis: 5000 }, password);
  try {
    await client.connect();
  } catch (err) {
    // The password source's own failure (the store unreachable, the secret missing) says what it is.
    if (password && err instanceof AgentplaneError) throw err;
    throw explainDatabaseFailure(err, url, variable);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function explainDatabaseFailure(err: unknown, url: string, variable = 'DATABASE_URL'): unknown {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || '5432'}`;
  const database = decodeURIComponent(u.pathname.slice(1)) || '(default)';
  const user = decodeURIComponent(u.username) || '(default)';
  const unset = `, or unset ${variable} to use the embedded Postgres`;
  const code = (err as { code?: unknown })?.code;
  let message: string | undefined;
  if (code === 'ECONNREFUSED')
    message = `no Postgres is listening at ${where} (${variable}): start it there, point ${variable} at yours${unset}`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') message = `the host of ${variable} (${u.hostname}) cannot be resolved${unset}`;
  else if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    message = `Postgres at ${where} (${variable}) does not answer: check the host, port and firewall${unset}`;
  else if (code === '28P01' || code === '28000')
    message = `Postgres at ${where} refused the login of user ${user} (${variable}): wrong password, or the server's pg_hba.conf does not admit this user from here`;
  else if (code === '3D000')
    message = `database ${database} does not exist at ${where} (${variable}): create it (createdb ${database})${unset}`;
  else if (err instanceof Error && !(err instanceof pg.DatabaseError) && !u.password)
    message = `Postgres at ${where} asks for a password and ${variable} has none: put it in the URL (postgres://${user}:PASSWORD@${u.host}/${database})`;
  return message ? new OperatorError('database_unavailable', message, { cause: err }) : err;
}
