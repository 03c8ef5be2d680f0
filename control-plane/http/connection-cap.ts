import type { Server } from 'node:net';
import type { Logger } from '../../shared/log.ts';

/**
 * At most `max` open connections per client address: one client cannot take every socket the
 * process can hold (slow bodies, idle keep-alives) from everyone else. A connection over the cap is
 * closed at once, before a byte of it is read. Behind a load balancer every connection comes from
 * the balancer's address: cap there instead, and set the cap here to 0 (off) or above its pool.
 */
export function capConnectionsPerClient(server: Server, max: number, log: Logger, clock: () => number = Date.now): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  let refused = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;
  server.on('connection', (socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    const n = (open.get(client) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      refused += 1;
      // One line a minute at most: a flood of refusals must not become a flood of log lines.
      if (clock() - reportedAt >= 60_000) {
        log.warn({ client, max, refused }, 'connections over the per-client cap were closed');
        reportedAt = clock();
        refused = 0;
      }
      return;
    }
    open.set(client, n);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left <= 0) open.delete(client);
      else open.set(client, left);
    });
  });
}
