import type { Logger } from './log.ts';
import { ConfigError, OperatorError } from './errors.ts';

export type RunningService = {
  log: Logger;
  /** Printed as one JSON line on stdout once the service is up; supervisors and the demo wait for it. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
};

export const EX_CONFIG = 78;

/**
 * The shape every service's main() shares: start, announce readiness, drain on SIGTERM/SIGINT.
 * A configuration problem (or another error the service marks as the operator's to fix) ends the
 * process with one plain message and exit code 78, not a stack trace. A signal that arrives while
 * the service is still starting is held until the start settles, then stops what was started: the
 * default action would end the process at once and leave its child processes running.
 */
export function runService(
  name: string,
  start: () => Promise<RunningService>,
  opts: { isOperatorError?: (err: unknown) => boolean } = {},
): void {
  const operatorError = (err: unknown) =>
    err instanceof ConfigError || err instanceof OperatorError || Boolean(opts.isOperatorError?.(err));
  let svc: RunningService | undefined;
  let stopSignal: string | undefined;
  const shutdown = async (signal: string) => {
    if (stopSignal) {
      // A second signal while a start hangs: the operator insists, so end now rather than wait.
      if (!svc) process.exit(130);
      return;
    }
    stopSignal = signal;
    // Still starting: the start's own outcome decides (below).
    if (!svc) return;
    svc.log.info({ signal }, 'draining and shutting down');
    try {
      await svc.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  start()
    .then((started) => {
      svc = started;
      if (stopSignal) {
        const signal = stopSignal;
        stopSignal = undefined;
        return shutdown(signal);
      }
      process.stdout.write(`${JSON.stringify(started.ready)}\n`);
    })
    .catch((err: unknown) => {
      if (operatorError(err)) {
        const message = err instanceof Error ? err.message : 'invalid configuration';
        process.stderr.write(`${message.startsWith(`${name}:`) ? message : `${name}: ${message}`}\n`);
        process.exit(EX_CONFIG);
      }
      process.stderr.write(`${name} failed to start: ${err instanceof Error ? err.stack : 'a non-error value was thrown'}\n`);
      process.exit(1);
    });
}
