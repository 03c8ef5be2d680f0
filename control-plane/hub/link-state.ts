import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Whether the control plane's connection to the hub is up right now, from the client's own status
 * events. A dispatch is refused at once while it is down, instead of waiting for a publish to time
 * out and then not knowing whether it landed.
 */
export function watchHubConnection(nc: NatsConnection): { connected(): boolean } {
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') connected = false;
      else if (s.type === 'reconnect') connected = true;
    }
  })().catch(() => undefined);
  return { connected: () => connected && !nc.isClosed() };
}
