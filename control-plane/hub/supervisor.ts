import { setTimeout as sleep } from 'node:timers/promises';
import { exponentialDelays } from '../../shared/backoff.ts';
import type { Logger } from '../../shared/log.ts';
import type { NatsServerProcess } from '../../shared/nats-server-process.ts';

type StartHub = (onExit: (code: number | null, signal: NodeJS.Signals | null) => void) => Promise<NatsServerProcess>;

/**
 * Keeps the embedded hub running while the control plane runs: when the hub process exits without
 * being asked to, it is started again from the same config (same ports, same JetStream store), after
 * 250 ms, then longer waits up to 10 s while starts keep failing. The control plane's NATS connection
 * reconnects by itself; leaves dial the same leafnode port and link again.
 */
export async function superviseHub(opts: { start: StartHub; log?: Logger; random?: () => number }) {
  const delay = exponentialDelays({ initialMs: 250, maxMs: 10_000, jitter: 'equal', random: opts.random });
  let supervising = false;
  let stopping = false;
  let restarts = 0;
  let restarting: Promise<void> | undefined;
  const stopped = new AbortController();

  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    // A failed first start is the caller's error, not a crash to recover from.
    if (!supervising || stopping || restarting) return;
    opts.log?.error({ code, signal }, 'the embedded hub exited; starting it again on the same ports');
    restarting = restart().finally(() => {
      restarting = undefined;
    });
  };

  async function restart(): Promise<void> {
    for (let attempt = 1; !stopping; attempt++) {
      // Aborted at stop: nothing is left to wait for.
      if (!(await sleep(delay(attempt), true, { signal: stopped.signal }).catch(() => false))) return;
      try {
        const started = await opts.start(onExit);
        if (stopping) {
          await started.stop();
          return;
        }
        current = started;
        restarts += 1;
        opts.log?.warn({ attempt, pid: started.pid }, 'the embedded hub is running again');
        return;
      } catch (err) {
        opts.log?.error({ err, attempt }, 'the embedded hub did not start again; retrying');
      }
    }
  }

  let current = await opts.start(onExit);
  supervising = true;
  return {
    current: () => current,
    restarts: () => restarts,
    async stop(): Promise<void> {
      stopping = true;
      stopped.abort();
      await restarting;
      await current.stop();
    },
  };
}
