import pg from 'pg';
import { UnavailableError } from '../errors.ts';
import { type CachedPassword, clientClassWith, type DbPassword, sharedCache } from './password.ts';

export type Db = pg.Pool;

// SQLSTATEs that mean the server cannot serve us right now: connection exceptions (class 08), the
// server shutting down or starting up (57P01-57P03), too many connections.
const OUTAGE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Whether a failed query or connect means Postgres is unreachable rather than the query being wrong.
 * The server's own answers are DatabaseErrors with a SQLSTATE; connection failures are not: socket
 * errors (ECONNREFUSED, …), the pool's connect timeout and "connection terminated" carry no SQLSTATE.
 */
export function isPostgresOutage(err: unknown): boolean {
  if (err instanceof UnavailableError) return err.dependency === 'postgres';
  if (err instanceof pg.DatabaseError) return err.code !== undefined && (err.code.startsWith('08') || OUTAGE_STATES.has(err.code));
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return NETWORK_ERRORS.has(code);
  // pg's own connection failures ("Connection terminated unexpectedly", the pool's connect timeout)
  // are plain Errors; every error of ours or of a library that means something else is a subclass.
  return err.constructor === Error;
}

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const asOutage = (err: unknown, outage = isPostgresOutage(err)): unknown =>
  outage && !(err instanceof UnavailableError)
    ? new UnavailableError('postgres', 'the database is unavailable; retry shortly', { cause: err })
    : err;

/**
 * A pool whose queries and connects report an unreachable database as UnavailableError (503 at the
 * HTTP edge), and whose connects give up after `connectTimeoutMs` instead of waiting forever on a
 * host that does not answer.
 */
class OutageAwarePool extends pg.Pool {
  /**
   * The password read at login, when the pool has one (createDb): after the server refused it (28P01) it
   * is dropped and the attempt repeated once, reading the current one. The refusal happens at the login,
   * before any statement ran, so the attempt is repeated whole. Without one, a refusal is final.
   */
  rotatingPassword: CachedPassword | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads; every caller here uses the promise form.
  override query(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const result = (super.query as any)(...args);
    // The retry's closure is made only on a failure: this is every query's path.
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return result instanceof Promise ? result.catch((err: unknown) => this.failed(err, () => (super.query as any)(...args))) : result;
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  override connect(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const result = (super.connect as any)(...args);
    // The retry's closure is made only on a failure: this is every query's path.
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return result instanceof Promise ? result.catch((err: unknown) => this.failed(err, () => (super.connect as any)(...args))) : result;
  }
  private failed(err: unknown, again: () => Promise<unknown>): Promise<unknown> {
    if (this.rotatingPassword && passwordRefused(err)) {
      this.rotatingPassword.drop();
      return again().catch((e: unknown) => Promise.reject(asOutage(e)));
    }
    return Promise.reject(asOutage(err));
  }
}

/** The server refused the login's password (SQLSTATE 28P01 invalid_password). */
const passwordRefused = (err: unknown): boolean => err instanceof pg.DatabaseError && err.code === '28P01';

/**
 * `password`, when given, is read for each new connection instead of taking one from the URL (a
 * password that rotates): kept up to PASSWORD_CACHE_MS; when the server refuses it (28P01, a rotation
 * since it was read) it is read again and the connect tried once more, so callers do not see the
 * rotation. A read that fails is an outage like an unreachable server (UnavailableError, 503).
 */
export function createDb(opts: { databaseUrl: string; max?: number; connectTimeoutMs?: number; password?: DbPassword }): Db {
  const password = opts.password ? sharedCache(opts.password) : undefined;
  const pool = new OutageAwarePool({
    connectionString: opts.databaseUrl,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    ...(password ? { Client: clientClassWith(() => password().catch((err: unknown) => Promise.reject(passwordUnreadable(err)))) } : {}),
  });
  pool.rotatingPassword = password;
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** The password source's failure as the outage it is for this pool's callers; its cause says why (never the value). */
const passwordUnreadable = (err: unknown): UnavailableError =>
  new UnavailableError('postgres', 'the database password could not be read; retry shortly', { cause: err });

/** Runs fn in one transaction; rolls back on any throw. */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  // The pool stops listening for a client's errors while it is checked out, and fn may hold it across
  // other waits (the workflows route: a hub publish of up to 3 s). A connection the server ends meanwhile
  // (a failover, a restart) reports it as an 'error' event: unheard, that ends the process. Heard, the
  // client is unqueryable, so the next query here fails as an outage (503) and the pool drops it on release.
  let lost = false;
  const heard = () => {
    lost = true;
  };
  client.on('error', heard);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    // What fn throws is its own: a plain Error from its code is a bug, not an outage. The database is
    // unavailable when this connection was lost — by the time the ROLLBACK has settled, a server that
    // ended it (even with an answer to the running query, 57P01) or a failed socket has been heard.
    throw lost ? asOutage(err, true) : err;
  } finally {
    client.off('error', heard);
    client.release();
  }
}
