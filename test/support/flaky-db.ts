import type pg from 'pg';
import type { Db } from '../../shared/db/pool.ts';

/**
 * A pool that loses the database on cue, for tests of what the runtime does when its ledger goes away
 * mid-run (as when the runner's host dies): after `failAfter(pattern, n)`, the n-th query whose text
 * matches `pattern` runs, and every query after it fails until `heal()`.
 */
export function flakyDb(pool: Db) {
  let down = false;
  let trigger: { pattern: RegExp; left: number } | undefined;
  const check = (text: unknown) => {
    if (down) throw Object.assign(new Error('connection terminated unexpectedly (test)'), { code: '57P01' });
    // The matching query itself still runs; the database is gone right after it.
    if (trigger && typeof text === 'string' && trigger.pattern.test(text)) {
      trigger.left -= 1;
      if (trigger.left === 0) {
        trigger = undefined;
        down = true;
      }
    }
  };
  const wrapQuery =
    (target: { query: (...a: unknown[]) => Promise<unknown> }) =>
    async (...args: unknown[]) => {
      check(typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text);
      return target.query(...args);
    };
  const db = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query') return wrapQuery(target as unknown as { query: (...a: unknown[]) => Promise<unknown> });
      if (prop === 'connect') {
        return async () => {
          check(undefined);
          const client = (await target.connect()) as pg.PoolClient;
          return new Proxy(client, {
            get: (c, p, r) =>
              p === 'query' ? wrapQuery(c as unknown as { query: (...a: unknown[]) => Promise<unknown> }) : Reflect.get(c, p, r),
          });
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  }) as Db;
  return {
    db,
    failAfter(pattern: RegExp, n = 1) {
      trigger = { pattern, left: n };
    },
    heal() {
      down = false;
      trigger = undefined;
    },
    get isDown() {
      return down;
    },
  };
}
