import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { CountJob, CountResult } from './token-worker.ts';

/**
 * Token counting for context budgeting, bounded in time and off the event loop. Callers first
 * check the cheap upper bound (a byte-level BPE never emits more tokens than the text has UTF-8
 * bytes); only a request whose bytes do not fit is counted. Counting then runs on one worker
 * thread (token-worker.ts, linear in the text's length: token-count-core.ts), never on the thread
 * that serves requests, and within a deadline: texts not counted in time, or while too much is
 * already queued, get their byte bound instead, which can only over-prune, never overflow.
 * Counts are memoised per text, since an agent loop resends the same long messages every step.
 */
export type TokenCounts = {
  counts: number[];
  /** False when at least one count is the byte bound (deadline passed, backlog full, worker failed). */
  exact: boolean;
};

export type TokenCounter = {
  countAll(texts: string[]): Promise<TokenCounts>;
  close(): Promise<void>;
};

export type TokenCounterOptions = {
  /** How long one request may wait for its counts before falling back to byte bounds. */
  deadlineMs?: number;
  /** Code units of text waiting for the worker beyond which new requests are not queued. */
  maxQueuedUnits?: number;
  cacheEntries?: number;
};

/** Upper bound on the tokens of any text: its UTF-8 byte length. */
export function tokenUpperBound(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// A worker that never answers (stuck, or gone without an exit event) must not hold a request.
const GRACE_MS = 250;
// A new worker loads the encoding first (a fixed cost, once per worker, not the caller's text):
// requests wait this long at most for that, then use byte bounds.
const START_MS = 15_000;

export function createTokenCounter(opts: TokenCounterOptions = {}): TokenCounter {
  const deadlineMs = opts.deadlineMs ?? 2000;
  const maxQueued = opts.maxQueuedUnits ?? 16 * 1024 * 1024;
  const max = opts.cacheEntries ?? 4096;
  const memo = new Map<string, number>();
  type Pending = { resolve: (counts: (number | null)[]) => void; units: number; timer: NodeJS.Timeout };
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let ready: Promise<boolean> | undefined;
  let nextId = 1;
  let queued = 0;

  const settle = (id: number, counts: (number | null)[] | undefined) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    queued -= p.units;
    p.resolve(counts ?? []);
  };
  const failAll = () => {
    for (const id of [...pending.keys()]) settle(id, undefined);
    worker = undefined;
    ready = undefined;
  };
  const start = (): Worker => {
    const w = new Worker(new URL('./token-worker.ts', import.meta.url));
    // The worker never keeps the process alive on its own.
    w.unref();
    let isReady = false;
    let started: (ok: boolean) => void = () => {};
    ready = new Promise<boolean>((resolve) => {
      started = resolve;
      // A worker that never got ready is replaced by the next request, not waited on again.
      setTimeout(() => {
        if (isReady) return;
        resolve(false);
        if (worker === w) void w.terminate(), failAll();
      }, START_MS).unref();
    });
    w.on('message', (r: CountResult) => {
      if ('ready' in r) (isReady = true), started(true);
      else settle(r.id, r.counts);
    });
    w.on('error', () => {
      started(false);
      if (worker === w) failAll();
    });
    w.on('exit', () => {
      started(false);
      if (worker === w) failAll();
    });
    return w;
  };

  const keyOf = (text: string) => (text.length < 256 ? text : `${text.length}:${createHash('sha1').update(text).digest('base64')}`);
  const remember = (key: string, n: number) => {
    if (memo.size >= max) memo.delete(memo.keys().next().value as string);
    memo.set(key, n);
  };

  async function countInWorker(texts: string[]): Promise<(number | null)[]> {
    const units = texts.reduce((a, t) => a + t.length, 0);
    if (queued + units > maxQueued) return [];
    // Counted as queued from here, also while a new worker loads, so a burst cannot overfill the queue.
    queued += units;
    worker ??= start();
    if (!(await ready) || !worker) {
      queued -= units;
      return [];
    }
    const w = worker;
    const id = nextId++;
    const job: CountJob = { id, texts, deadline: Date.now() + deadlineMs };
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(id, undefined), deadlineMs + GRACE_MS);
      timer.unref();
      pending.set(id, { resolve, units, timer });
      w.postMessage(job);
    });
  }

  return {
    async countAll(texts) {
      const counts: number[] = new Array(texts.length);
      const keys: string[] = new Array(texts.length);
      const missing: number[] = [];
      for (let i = 0; i < texts.length; i++) {
        if (texts[i].length === 0) {
          counts[i] = 0;
          continue;
        }
        keys[i] = keyOf(texts[i]);
        const hit = memo.get(keys[i]);
        if (hit === undefined) missing.push(i);
        else counts[i] = hit;
      }
      if (missing.length === 0) return { counts, exact: true };
      const counted = await countInWorker(missing.map((i) => texts[i]));
      let exact = true;
      missing.forEach((i, k) => {
        const n = counted[k];
        if (typeof n === 'number') {
          counts[i] = n;
          remember(keys[i], n);
        } else {
          counts[i] = tokenUpperBound(texts[i]);
          exact = false;
        }
      });
      return { counts, exact };
    },
    async close() {
      const w = worker;
      worker = undefined;
      for (const id of [...pending.keys()]) settle(id, undefined);
      await w?.terminate();
    },
  };
}
