import pg from 'pg';

/**
 * A database password read when a connection is opened (node-pg calls it for each new connection
 * whose server asks for one), so a password rotated in the store reaches new connections without a
 * restart. Never logged: callers hand the value to pg and nothing else.
 */
export type DbPassword = () => Promise<string>;

/** How long a read value is reused: a burst of connects makes one read, a rotation is seen within this. */
export const PASSWORD_CACHE_MS = 5 * 60_000;

export type CachedPassword = DbPassword & {
  /** Forget the value: the next connect reads the store again (after the server refused the login). */
  drop(): void;
};

/**
 * `read` behind a short cache. Connects that arrive while a read is under way share it; a failed
 * read is not kept, so the next connect tries again.
 */
export function cachedPassword(read: DbPassword, opts: { ttlMs?: number; now?: () => number } = {}): CachedPassword {
  const ttlMs = opts.ttlMs ?? PASSWORD_CACHE_MS;
  const now = opts.now ?? Date.now;
  let kept: { value: Promise<string>; at: number } | undefined;
  const get = (): Promise<string> => {
    if (kept && now() - kept.at < ttlMs) return kept.value;
    const entry = { value: read(), at: now() };
    kept = entry;
    entry.value.catch(() => {
      if (kept === entry) kept = undefined;
    });
    return entry.value;
  };
  return Object.assign(get, {
    drop() {
      kept = undefined;
    },
  });
}

/**
 * `password` behind the cache, or itself when it already is one: the plane's first connect, migrations
 * and pool then share one read, and the pool's drop() after a refused login is seen by all of them.
 */
export function sharedCache(password: DbPassword): CachedPassword {
  return 'drop' in password ? (password as CachedPassword) : cachedPassword(password);
}

/**
 * A pg client class whose clients read `password` at login. Not `{connectionString, password}`: pg
 * lets the URL's password, empty when it has none, replace a password function given beside it.
 */
export function clientClassWith(password: DbPassword): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // pg keeps it non-enumerable (out of logs and inspections); so do we.
      Object.defineProperty(this, 'password', { value: password, writable: true, configurable: true, enumerable: false });
    }
  };
}

/** A client of `connectionString` that reads `password` (when given) at login instead of taking the URL's. */
export function newClient(config: pg.ClientConfig, password?: DbPassword): pg.Client {
  return password ? new (clientClassWith(password))(config) : new pg.Client(config);
}
