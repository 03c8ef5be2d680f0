import { settleWithin } from '../../shared/settle-within.ts';

export type InflightCall = { abort: AbortController; done: Promise<void>; cut: boolean };

/**
 * The proxy's calls in flight, for shutdown. `drain` waits until every call has finished and been
 * counted, or until the deadline; then it cuts the calls still open (their provider attempts are
 * aborted, and each is counted with what was produced until then, as a call whose caller left is)
 * and waits, briefly, for those counts too. The caller then flushes the counters to Postgres.
 */
export function createInflightCalls() {
  const calls = new Set<InflightCall>();
  return {
    /** Registers a call; `finished` is called once it is over and its usage recorded (or there was none). */
    begin(abort: AbortController): { finished(): void; cutAtShutdown(): boolean } {
      let resolve!: () => void;
      const call: InflightCall = { abort, done: new Promise<void>((r) => (resolve = r)), cut: false };
      calls.add(call);
      return {
        /** Whether the shutdown deadline cut this call (its abort is otherwise a caller who left). */
        cutAtShutdown: () => call.cut,
        finished() {
          calls.delete(call);
          resolve();
        },
      };
    },
    get size() {
      return calls.size;
    },
    async drain(deadlineMs: number): Promise<{ finished: number; cut: number }> {
      const atStart = calls.size;
      await settleWithin(Promise.all([...calls].map((c) => c.done)), deadlineMs);
      const open = [...calls];
      // A plain abort, as when a caller leaves: the gateway and SDKs treat it as the end of the call,
      // not as a provider failure; `cut` tells the route who ended it.
      for (const c of open) {
        c.cut = true;
        c.abort.abort();
      }
      // A cut call settles as soon as its provider attempt has stopped: give that a moment.
      await settleWithin(Promise.all(open.map((c) => c.done)), 10_000);
      return { finished: atStart - open.length, cut: open.length };
    },
  };
}
export type InflightCalls = ReturnType<typeof createInflightCalls>;
