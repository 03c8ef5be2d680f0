import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, startNatsServer } from '../../shared/nats-server-process.ts';

/**
 * A nats-server with JetStream storing under `dir` (its nats.conf written there too), on a free port:
 * for tests whose child processes connect to it by URL. The caller stops it.
 */
export async function jetStreamServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  writeFileSync(join(dir, 'nats.conf'), `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}" }\n`);
  const server = await startNatsServer({ configPath: join(dir, 'nats.conf'), port });
  return { url: `nats://127.0.0.1:${port}`, stop: () => server.stop() };
}

/**
 * A nats-server with JetStream of its own (store in a temp dir) and a connection to it; the connection
 * closes, the server stops and the dir is removed when the test ends.
 */
export async function localJetStream(t: { after(fn: () => unknown): void }): Promise<NatsConnection> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-jetstream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await jetStreamServer(dir);
  t.after(() => server.stop());
  const nc = await connect({ servers: server.url });
  t.after(() => nc.close());
  return nc;
}

/**
 * What `probe` gives once it gives something (neither undefined nor false), asked every 20 ms; the test
 * fails naming `what` after `ms`. Consumers, redeliveries and DLQ moves settle in their own time, so a
 * JetStream test waits for the state it expects rather than for a guessed delay.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The error `p` rejects with; the test fails if it resolves instead. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}
