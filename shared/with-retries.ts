import { setTimeout as sleep } from 'node:timers/promises';

/** Retries a start-up step a bounded number of times while its failure is one the caller knows to be brief. */
export async function withRetries<T>(
  fn: () => Promise<T>,
  opts: { attempts: number; delayMs: number; isTransient: (err: unknown) => boolean },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.attempts || !opts.isTransient(err)) throw err;
      await sleep(opts.delayMs);
    }
  }
}
