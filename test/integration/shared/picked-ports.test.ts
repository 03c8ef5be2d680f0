// A port freePort() found free can be taken before nats-server binds it (CI saw the embedded hub fail
// with "address already in use" on a port just picked). The embedded hub and leaf pick again; a port
// someone chose (the hub's configured or kept leafnode port) is never replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startEmbeddedHub } from '../../../control-plane/hub/embedded.ts';
import { startEmbeddedLeaf } from '../../../customer-plane/leaf/embedded.ts';
import { freePort, startNatsServer } from '../../../shared/nats-server-process.ts';
import { tempDir } from '../../../scripts/topology/boundary-rig.ts';
import { deferNewestFirst } from '../../support/cleanup.ts';

/** A port another process listens on, for as long as the test runs. */
async function takenPort(defer: (stop: () => unknown) => void): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return addr.port;
}

/** Hands out `first` once, then real free ports; counts what it handed out. */
function pickerStartingWith(first: number): { pick: () => Promise<number>; handedOut: number[] } {
  const handedOut: number[] = [];
  return {
    handedOut,
    async pick() {
      const port = handedOut.length === 0 ? first : await freePort();
      handedOut.push(port);
      return port;
    },
  };
}

test('a nats-server that cannot bind its port is a failed start, even when another process answers on that port', async (t) => {
  const defer = deferNewestFirst(t);
  const dir = tempDir('taken-port');
  defer(() => dir.remove());
  const port = await takenPort(defer);
  const configPath = join(dir.path, 'nats.conf');
  writeFileSync(configPath, `listen: 127.0.0.1:${port}\n`);
  await assert.rejects(startNatsServer({ configPath, port, timeoutMs: 5000 }), /exited at start/);
});

test('the embedded hub handed a port that is already taken picks others, and keeps the ports it runs on for the next start', async (t) => {
  const defer = deferNewestFirst(t);
  const dir = tempDir('hub-picked');
  defer(() => dir.remove());
  const taken = await takenPort(defer);
  const picker = pickerStartingWith(taken);
  const hub = await startEmbeddedHub({ stateDir: dir.path, pickPort: picker.pick });
  defer(() => hub.stop());

  const kept = JSON.parse(readFileSync(join(dir.path, 'hub', 'ports.json'), 'utf8'));
  assert.ok(!Object.values(kept).includes(taken), `the taken port ${taken} is not among the kept ${JSON.stringify(kept)}`);
  assert.equal(hub.leafUrl, `nats-leaf://127.0.0.1:${kept.leaf}`);
  assert.equal(hub.natsUrl, `nats://127.0.0.1:${kept.client}`);
  const nc = await connect({ servers: hub.natsUrl, user: hub.user, pass: hub.password });
  await nc.close();
  assert.equal(hub.restarts(), 0);
});

test('the embedded hub never replaces its configured leafnode port: a process holding it makes the start fail, naming the port', async (t) => {
  const defer = deferNewestFirst(t);
  const dir = tempDir('hub-leaf-taken');
  defer(() => dir.remove());
  const leafPort = await takenPort(defer);
  const picked: number[] = [];
  const pickPort = async () => {
    const port = await freePort();
    picked.push(port);
    return port;
  };
  await assert.rejects(startEmbeddedHub({ stateDir: dir.path, leafPort, pickPort }), new RegExp(String(leafPort)));
  assert.equal(JSON.parse(readFileSync(join(dir.path, 'hub', 'ports.json'), 'utf8')).leaf, leafPort);
  assert.ok(!picked.includes(leafPort));

  // Started again with every port kept: there is nothing of its own to pick again, so no second try.
  const before = picked.length;
  await assert.rejects(startEmbeddedHub({ stateDir: dir.path, pickPort }), new RegExp(String(leafPort)));
  assert.equal(picked.length, before, 'no port picked when all were kept');
});

test('the embedded leaf handed a client port that is already taken picks another and serves on it', async (t) => {
  const defer = deferNewestFirst(t);
  const dir = tempDir('leaf-picked');
  defer(() => dir.remove());
  const taken = await takenPort(defer);
  const picker = pickerStartingWith(taken);
  const leaf = await startEmbeddedLeaf({
    stateDir: dir.path,
    tenant: randomUUID(),
    // Nobody listens there: the leaf starts unlinked, which is all this test needs.
    hubLeafUrl: `nats-leaf://127.0.0.1:${await freePort()}`,
    leafUser: 'leaf-acme',
    leafPassword: 'not-a-real-password',
    waitForHubMs: 100,
    pickPort: picker.pick,
  });
  defer(() => leaf.process.stop());

  assert.equal(picker.handedOut.length, 2, 'one port taken, one picked again');
  assert.equal(leaf.natsUrl, `nats://127.0.0.1:${picker.handedOut[1]}`);
  const nc = await connect({ servers: leaf.natsUrl, user: leaf.logins.runner.user, pass: leaf.logins.runner.password });
  await nc.close();
});
