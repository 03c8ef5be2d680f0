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

export function createWatchdog(ms: number, caller?: AbortSignal): Watchdog {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new UpstreamTimeoutError(ms)), ms);
  const onCallerAbort = () => ctrl.abort(caller?.reason);
  if (caller?.aborted) ctrl.abort(caller.reason);
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: ctrl.signal,
    kick: () => void timer.refresh(),
    done() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
    cancel() {
      clearTimeout(timer);
      if (!ctrl.signal.aborted) ctrl.abort(new Error('attempt abandoned'));
    },
    explain: (err) => (ctrl.signal.reason instanceof UpstreamTimeoutError ? ctrl.signal.reason : err),
  };
}
