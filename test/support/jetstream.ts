import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, startNatsServer } from '../../shared/nats-server-process.ts';

/**
 * A nats-server with JetStream of its own (store in a temp dir) and a connection to it; the connection
 * closes, the server stops and the dir is removed when the test ends.
 */
export async function localJetStream(t: { after(fn: () => unknown): void }): Promise<NatsConnection> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-jetstream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(join(dir, 'nats.conf'), `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}" }\n`);
  const server = await startNatsServer({ configPath: join(dir, 'nats.conf'), port });
  t.after(() => server.stop());
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  t.after(() => nc.close());
  return nc;
}
