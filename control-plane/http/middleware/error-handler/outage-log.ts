import type { Logger } from '../../../../shared/log.ts';

/**
 * During an outage every request that needs the missing dependency fails the same way; a line (and
 * a stack trace) per request would bury everything else. This writes one line when a dependency
 * starts failing and then at most one per interval, counting the requests refused in between.
 */
export function createOutageLog(log: Logger, opts: { intervalMs?: number; clock?: () => number } = {}) {
  const intervalMs = opts.intervalMs ?? 30_000;
  const clock = opts.clock ?? Date.now;
  const seen = new Map<string, { loggedAt: number; refused: number }>();
  return {
    note(dependency: string, cause: unknown): void {
      const now = clock();
      const s = seen.get(dependency);
      if (s && now - s.loggedAt < intervalMs) {
        s.refused += 1;
        return;
      }
      const c = cause as { name?: unknown; code?: unknown } | undefined;
      log.warn(
        {
          dependency,
          refusedSinceLastLine: s?.refused ?? 0,
          causeName: typeof c?.name === 'string' ? c.name : undefined,
          causeCode: typeof c?.code === 'string' || typeof c?.code === 'number' ? c.code : undefined,
        },
        'a dependency is unavailable: requests that need it are answered 503 with Retry-After',
      );
      seen.set(dependency, { loggedAt: now, refused: 0 });
    },
  };
}
