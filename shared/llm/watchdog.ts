import { UpstreamTimeoutError } from './failover.ts';

/**
 * One upstream attempt's abort signal: fires when the caller goes away or when nothing arrived for
 * `ms` (kick() on every event re-arms it; one timer per attempt, refreshed rather than recreated).
 * The SDKs report an abort as a user abort; `explain` turns ours back into a timeout so it fails over.
 */
export type Watchdog = {
  signal: AbortSignal;
  kick(): void;
  done(): void;
  /** Aborts the attempt (the consumer went away or the attempt is abandoned). */
  cancel(): void;
  explain(err: unknown): unknown;
};

/** A class rather than a closure per method: one is made for every provider attempt. */
class AttemptWatchdog implements Watchdog {
  readonly ctrl = new AbortController();
  readonly signal = this.ctrl.signal;
  readonly timer: NodeJS.Timeout;
  readonly caller: AbortSignal | undefined;
  readonly onCallerAbort = () => this.ctrl.abort(this.caller?.reason);
  constructor(ms: number, caller?: AbortSignal) {
    this.caller = caller;
    this.timer = setTimeout(() => this.ctrl.abort(new UpstreamTimeoutError(ms)), ms);
    if (caller?.aborted) this.ctrl.abort(caller.reason);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }
  kick(): void {
    this.timer.refresh();
  }
  done(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
  cancel(): void {
    clearTimeout(this.timer);
    if (!this.signal.aborted) this.ctrl.abort(new Error('attempt abandoned'));
  }
  explain(err: unknown): unknown {
    return this.signal.reason instanceof UpstreamTimeoutError ? this.signal.reason : err;
  }
}

export function createWatchdog(ms: number, caller?: AbortSignal): Watchdog {
  return new AttemptWatchdog(ms, caller);
}
