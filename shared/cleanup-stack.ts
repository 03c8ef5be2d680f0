import { settleWithin } from './settle-within.ts';

/**
 * What a service has started, so it can be stopped again: each step is registered right after the
 * thing it stops was started, and `unwind` runs them last-started first. A service that fails half
 * way through starting unwinds the same stack, so no child process or connection outlives the error.
 */
export function createCleanupStack() {
  const steps: Array<{ run: () => unknown; ms: number }> = [];
  return {
    /** Registers a step; `ms` bounds how long unwinding waits for it (a dead dependency never answers). */
    defer(run: () => unknown, ms = 5000): void {
      steps.push({ run, ms });
    },
    /** Runs every registered step once, newest first; a failing or hanging step does not stop the others. */
    async unwind(): Promise<void> {
      for (let step = steps.pop(); step; step = steps.pop()) {
        const { run, ms } = step;
        await settleWithin(
          Promise.resolve().then(() => run()),
          ms,
        );
      }
    },
  };
}
export type CleanupStack = ReturnType<typeof createCleanupStack>;
