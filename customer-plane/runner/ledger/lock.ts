import type { Db } from '../../../shared/db/pool.ts';
import { RetryableError } from '../../../shared/worker-errors.ts';

/**
 * One runner at a time per run, across processes: a Postgres session-level advisory lock held on a
 * dedicated connection for as long as the run is executing. When the process dies (even by kill -9)
 * its connection closes and Postgres releases the lock, so the lock is also the liveness signal.
 */
const SEED = 0x6170; // keeps the key space apart from other advisory locks

export type RunLock = {
  /**
   * Aborted when the lock's connection fails (a database restart or failover, a network cut): Postgres has
   * freed the lock, so the run must stop here and go back to the queue before another runner takes it.
   */
  lost: AbortSignal;
  release(): Promise<void>;
};

/** Why a run stopped where it was: its run lock's connection failed. Retryable: the run resumes from its ledger. */
export class RunLockLost extends RetryableError {
  constructor(cause: unknown) {
    super('run_lock_lost', "the run lock's database connection failed; the run goes back to the queue", { cause });
  }
}

export async function tryLockRun(db: Db, runId: string): Promise<RunLock | undefined> {
  const client = await db.connect();
  try {
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, $2)) AS ok', [runId, SEED]);
    if (!rows[0].ok) {
      client.release();
      return undefined;
    }
  } catch (err) {
    client.release(true);
    throw err;
  }
  // A checked-out client's connection error has no other listener: without this one it would end the
  // process, and every run in it, on a database failover.
  const lost = new AbortController();
  const onError = (err: Error) => lost.abort(new RunLockLost(err));
  client.on('error', onError);
  return {
    lost: lost.signal,
    async release() {
      // Unlocking first frees the run by the time release() returns (the next runner may take it at once);
      // closing the connection releases the lock whatever state the session is in, but only once the
      // server has noticed the close, so it is the fallback, not the release.
      try {
        await client.query('SELECT pg_advisory_unlock_all()');
      } catch {
        // The session is unusable (a lost connection rejects at once): closing it below releases the lock.
      } finally {
        client.release(true);
      }
    },
  };
}

/** True when some live runner holds the run's lock. */
export async function isRunLocked(db: Db, runId: string): Promise<boolean> {
  const lock = await tryLockRun(db, runId);
  if (!lock) return true;
  await lock.release();
  return false;
}
