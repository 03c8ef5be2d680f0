import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { renderNatsConf } from '../../../shared/nats-conf.ts';
import { freePort, startNatsServer, type NatsServerProcess } from '../../../shared/nats-server-process.ts';
import { subjects } from '../../../shared/subjects.ts';
import { ACCOUNTS_FILE, leafUsername, renderHubAccounts, renderHubConfig } from '../../../control-plane/hub/config.ts';
import { renderLeafConfig } from '../../../customer-plane/leaf/config.ts';
import { detectNatsServerVersion, startEmbeddedLeaf, waitForHubLinkInLog } from '../../../customer-plane/leaf/embedded.ts';
import { bounded, createTenant, enrollDirect, tempDir, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { hubRig } from '../../support/hub-rig.ts';

const REFUSED = /Authorization Violation/;

/** A leaf nats-server from a hand-written config: what an attacker would run, not what we ship. */
async function rawLeaf(dir: string, name: string, remote: Record<string, unknown>): Promise<{ proc: NatsServerProcess; url: string }> {
  const port = await freePort();
  const configPath = join(dir, `${name}.conf`);
  writeFileSync(configPath, renderNatsConf({ server_name: name, listen: `127.0.0.1:${port}`, leafnodes: { remotes: [remote] } as never }));
  return { proc: await startNatsServer({ configPath, port }), url: `nats://127.0.0.1:${port}` };
}

async function received(nc: NatsConnection, subject: string, send: () => Promise<void>, waitMs = 1500): Promise<number> {
  let n = 0;
  const sub = nc.subscribe(subject, { callback: () => void (n += 1) });
  await nc.flush();
  await send();
  await sleep(waitMs);
  sub.unsubscribe();
  return n;
}

test('the hub refuses a leaf without credentials or with a wrong password, and two anonymous leaves cannot relay through it', async (t) => {
  const { defer, dir, hub, operatorToken, startControl } = await hubRig(t, 'leafauth');
  const control = await startControl();

  // The control: an enrolled leaf links (its login is in the hub's accounts).
  const a = await createTenant(control.url, await operatorToken(), 'tenant-a');
  const enrolled = await enrollDirect(control.url, a.enrollToken);
  const leafA = await startEmbeddedLeaf({
    stateDir: join(dir.path, 'a'),
    tenant: a.tenant,
    hubLeafUrl: enrolled.leaf.url,
    leafUser: enrolled.leaf.username,
    leafPassword: enrolled.leaf.password,
  });
  defer(() => leafA.process.stop());
  assert.equal(leafA.linked, true, 'the enrolled leaf links to the hub');

  const anon1 = await rawLeaf(dir.path, 'anon1', { urls: [hub.leafUrl] });
  defer(() => anon1.proc.stop());
  const anon2 = await rawLeaf(dir.path, 'anon2', { urls: [hub.leafUrl] });
  defer(() => anon2.proc.stop());
  const wrongPassword = new URL(hub.leafUrl);
  wrongPassword.username = enrolled.leaf.username;
  wrongPassword.password = 'not-the-password';
  const guesser = await rawLeaf(dir.path, 'guesser', { urls: [wrongPassword.toString()] });
  defer(() => guesser.proc.stop());
  for (const [name, leaf] of [
    ['anonymous leaf 1', anon1],
    ['anonymous leaf 2', anon2],
    ['leaf with a wrong password', guesser],
  ] as const) {
    assert.ok(await leaf.proc.waitForLog(REFUSED, 10_000), `${name} is refused by the hub`);
  }

  const c1 = await connect({ servers: anon1.url });
  const c2 = await connect({ servers: anon2.url });
  defer(() => c1.close());
  defer(() => c2.close());
  assert.equal(await received(c1, 'relay.test', async () => void (c2.publish('relay.test', 'x'), await c2.flush())), 0, 'nothing relays');
});

test('a revoked leaf login is refused at its next connect, and while still connected its messages reach nothing', async (t) => {
  const { defer, dir, hub, operatorToken, startControl } = await hubRig(t, 'revoke');
  const control = await startControl();
  const op = await operatorToken();
  const tenants = [await createTenant(control.url, op, 'kept'), await createTenant(control.url, op, 'revoked')];
  type Linked = {
    tenant: string;
    enrolled: Awaited<ReturnType<typeof enrollDirect>>;
    leaf: Awaited<ReturnType<typeof startEmbeddedLeaf>>;
    nc: NatsConnection;
  };
  const leaves: Linked[] = [];
  for (const [i, tn] of tenants.entries()) {
    const enrolled = await enrollDirect(control.url, tn.enrollToken);
    const leaf = await startEmbeddedLeaf({
      stateDir: join(dir.path, `leaf${i}`),
      tenant: tn.tenant,
      hubLeafUrl: enrolled.leaf.url,
      leafUser: enrolled.leaf.username,
      leafPassword: enrolled.leaf.password,
    });
    defer(() => leaf.process.stop());
    const nc = await connect({ servers: leaf.natsUrl, user: leaf.logins.egress.user, pass: leaf.logins.egress.password });
    defer(() => nc.close());
    leaves.push({ tenant: tn.tenant, enrolled, leaf, nc });
  }
  const [kept, revoked] = leaves;
  const observer = await hub.connectControl();
  defer(() => observer.close());
  // Five tokens: exported by the tenant's account, but not captured by the AP_UP stream (four tokens).
  const probe = (x: Linked) => `${subjects.upAll(x.tenant).slice(0, -1)}meta.probe`;
  const send = (x: Linked) => async () => void (x.nc.publish(probe(x), 'p'), await x.nc.flush());
  // Interest crosses the link asynchronously (and enrolling the second tenant reloads the hub), so the
  // control is "carries within a bound", the same shape as every other check here.
  await waitFor(
    'before revocation, the link to carry the tenant’s messages',
    async () => (await received(observer, probe(revoked), send(revoked), 300)) === 1,
    15_000,
  );

  const res = await fetch(`${control.url}/v1/tenants/${revoked.tenant}/leaf`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${op}` },
  });
  assert.equal(res.status, 204);
  await waitFor('the hub to reload', async () => (await received(observer, probe(revoked), send(revoked), 300)) === 0, 10_000);
  assert.equal(await received(observer, probe(revoked), send(revoked)), 0, 'the still-connected revoked leaf reaches nothing');
  // The reload re-reads every account, and the hub may relink other leaves; nothing is lost meanwhile
  // (their forwarders resend from the outbox). What must hold: the other tenant's link carries again.
  await waitFor('the other tenant’s link', async () => (await received(observer, probe(kept), send(kept), 300)) === 1, 15_000);

  // Its next connection with the revoked login is refused.
  const configPath = join(dir.path, 'relink.conf');
  const port = await freePort();
  writeFileSync(
    configPath,
    renderLeafConfig({
      tenant: revoked.tenant,
      clientPort: port,
      storeDir: join(dir.path, 'relink-js'),
      hubLeafUrl: revoked.enrolled.leaf.url,
      leafUser: revoked.enrolled.leaf.username,
      leafPassword: revoked.enrolled.leaf.password,
      localUsers: { egress: { user: 'e', password: 'e' }, runner: { user: 'r', password: 'r' } },
      serverVersion: detectNatsServerVersion(),
    }),
  );
  const relink = await startNatsServer({ configPath, port });
  defer(() => relink.stop());
  assert.ok(await relink.waitForLog(REFUSED, 10_000), 'the revoked login is refused');
});

test('over TLS a leaf links to a hub whose leafnode listener requires TLS, and a plaintext leaf is refused there', async (t) => {
  const dir = tempDir('leaftls');
  const procs: NatsServerProcess[] = [];
  t.after(async () => {
    for (const p of procs.reverse()) await bounded(p.stop());
    dir.remove();
  });
  const cert = join(dir.path, 'hub.pem');
  const key = join(dir.path, 'hub.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const tenant = '33333333-3333-4333-8333-333333333333';
  const password = 'leaf-password-for-this-test';
  const clientPort = await freePort();
  const leafPort = await freePort();
  writeFileSync(
    join(dir.path, ACCOUNTS_FILE),
    renderHubAccounts({
      controlPlaneUser: 'cp',
      controlPlanePasswordBcrypt: await bcrypt.hash('cp', 4),
      tenants: [{ tenant, username: leafUsername(tenant), passwordBcrypt: await bcrypt.hash(password, 4) }],
    }),
  );
  const hubConf = join(dir.path, 'hub.conf');
  writeFileSync(
    hubConf,
    renderHubConfig({
      clientPort,
      leafPort,
      storeDir: join(dir.path, 'js'),
      pidFile: join(dir.path, 'pid'),
      leafTls: { certFile: cert, keyFile: key },
    }),
  );
  const hubProc = await startNatsServer({ configPath: hubConf, port: clientPort });
  procs.push(hubProc);

  const leaf = await startEmbeddedLeaf({
    stateDir: join(dir.path, 'leaf'),
    tenant,
    hubLeafUrl: `tls://127.0.0.1:${leafPort}`,
    leafUser: leafUsername(tenant),
    leafPassword: password,
    hubCaFile: cert,
  });
  procs.push(leaf.process);
  assert.equal(leaf.linked, true, 'the TLS leaf links');

  const plain = await rawLeaf(dir.path, 'plain', {
    urls: [`nats-leaf://${encodeURIComponent(leafUsername(tenant))}:${password}@127.0.0.1:${leafPort}`],
  });
  procs.push(plain.proc);
  assert.equal(await waitForHubLinkInLog(plain.proc, 3000), false, 'the plaintext leaf does not link');
});
