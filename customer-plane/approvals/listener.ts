import type pg from 'pg';
import type { Db } from '../../shared/db/pool.ts';
import type { Logger } from '../../shared/log.ts';
import { ApprovalInterrupted } from './errors.ts';
import { DECIDED_CHANNEL } from './store.ts';

type Waiter = { wake(): void; stop(): void };

/**
 * Wakes the runner waiting on an approval the moment it is decided: one connection LISTENs on the
 * decision channel for every wait of this process. The broker also re-reads the approval at least once
 * per poll interval, so a missed notification (the connection dropped) costs at most that interval.
 */
export function createDecisionListener(deps: { db: Db; log: Logger }) {
  const waiters = new Map<string, Set<Waiter>>();
  let client: pg.PoolClient | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;

  const drop = (c: pg.PoolClient) => {
    if (client !== c) return;
    client = undefined;
    c.release(true);
  };

  return {
    /** Listens, if it is not already; a failure to listen is logged and leaves the broker polling. */
    async ensure(): Promise<void> {
      if (closed || client) return;
      connecting ??= (async () => {
        const c = await deps.db.connect();
        c.on('notification', (n) => {
          if (n.channel !== DECIDED_CHANNEL || !n.payload) return;
          for (const w of waiters.get(n.payload) ?? []) w.wake();
        });
        c.on('error', (err) => {
          deps.log.warn({ err }, 'lost the approval-decision listener; polling until it is back');
          drop(c);
        });
        try {
          await c.query(`LISTEN ${DECIDED_CHANNEL}`);
        } catch (err) {
          c.release(true);
          throw err;
        }
        if (closed) c.release(true);
        else client = c;
      })()
        .catch((err) => deps.log.warn({ err }, 'cannot listen for approval decisions; polling'))
        .finally(() => {
          connecting = undefined;
        });
      await connecting;
    },

    /**
     * Starts waiting for approval `id`: `done` resolves when it is announced as decided or `ms` pass,
     * whichever is first, and rejects with ApprovalInterrupted when `signal` aborts or the listener
     * closes (the runner is stopping; thrown at once when that already happened). Start the wait before
     * reading the approval, so a decision that lands during the read is not missed; `cancel` ends a
     * wait that is no longer needed.
     */
    watch(id: string, ms: number, signal?: AbortSignal): { done: Promise<void>; cancel(): void } {
      if (closed || signal?.aborted) throw new ApprovalInterrupted();
      const set = waiters.get(id) ?? new Set<Waiter>();
      waiters.set(id, set);
      let w!: Waiter;
      const done = new Promise<void>((resolve, reject) => {
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          set.delete(w);
          if (set.size === 0) waiters.delete(id);
          settle();
        };
        w = { wake: () => finish(resolve), stop: () => finish(() => reject(new ApprovalInterrupted())) };
        const onAbort = () => w.stop();
        const timer = setTimeout(w.wake, Math.max(0, ms));
        signal?.addEventListener('abort', onAbort, { once: true });
        set.add(w);
      });
      // The caller reads the approval before it awaits `done`: an interruption meanwhile is not unhandled.
      done.catch(() => {});
      return { done, cancel: () => w.wake() };
    },

    /** Interrupts every wait and stops listening. */
    async close(): Promise<void> {
      closed = true;
      for (const set of [...waiters.values()]) for (const w of [...set]) w.stop();
      await connecting;
      if (client) drop(client);
    },
  };
}
