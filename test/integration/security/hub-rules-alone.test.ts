// The hub's own rules, with nothing in front of them. Our leaf config denies local and foreign subjects
// before they reach the hub, so the cross-tenant test never sees the hub's accounts at work. Here each
// tenant's leaf is hand-built — no deny lists, a local login with every permission — and tries what
// ours never would: another tenant's up and down subjects, local subjects, the control plane's
// JetStream API. Only the hub's per-tenant accounts (control-plane/hub/config.ts) stand in the way.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import bcrypt from 'bcryptjs';
import { ACCOUNTS_FILE, leafUsername, renderHubAccounts } from '../../../control-plane/hub/config.ts';
import { freePort, startNatsServer } from '../../../shared/nats-server-process.ts';
import { subjects } from '../../../shared/subjects.ts';
import { startTestHub, tempDir, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { deferNewestFirst } from '../../support/cleanup.ts';

const A = '3a3a3a3a-3a3a-4a3a-8a3a-3a3a3a3a3a3a';
const B = '4b4b4b4b-4b4b-4b4b-8b4b-4b4b4b4b4b4b';

/** Records every subject a connection receives on `>`, except the server's own traffic. */
function watch(nc: NatsConnection): string[] {
  const seen: string[] = [];
  nc.subscribe('>', {
    callback: (_e, m) => void (m.subject.startsWith('_INBOX.') || m.subject.startsWith('$SYS.') ? 0 : seen.push(m.subject)),
  });
  return seen;
}

test("with the leaf's own deny lists gone, the hub alone keeps a tenant's leaf from another tenant's subjects, local subjects and the control plane's JetStream", async (t) => {
  const defer = deferNewestFirst(t);
  const dir = tempDir('hub-rules');
  defer(() => dir.remove());
  const hub = await startTestHub(join(dir.path, 'hub'));
  defer(() => hub.stop());
  const passwords: Record<string, string> = { [A]: 'leaf-a-password', [B]: 'leaf-b-password' };
  writeFileSync(
    join(dir.path, 'hub', ACCOUNTS_FILE),
    renderHubAccounts({
      controlPlaneUser: hub.user,
      controlPlanePasswordBcrypt: await bcrypt.hash(hub.password, 4),
      tenants: await Promise.all(
        [A, B].map(async (tenant) => ({ tenant, username: leafUsername(tenant), passwordBcrypt: await bcrypt.hash(passwords[tenant], 4) })),
      ),
    }),
  );
  const from = (await hub.process().waitForLog(/Server is ready/, 1))?.index ?? 0;
  process.kill(hub.process().pid, 'SIGHUP');
  assert.ok(await hub.process().waitForLog(/Reloaded/i, 10_000, from), 'the hub reloaded its accounts');

  // A leaf that is nothing like ours: no deny_exports, no deny_imports, one all-powerful local login.
  const leafClient = async (tenant: string) => {
    const port = await freePort();
    const conf = join(dir.path, `leaf-${tenant}.conf`);
    const url = new URL(hub.leafUrl);
    url.username = leafUsername(tenant);
    url.password = passwords[tenant];
    writeFileSync(
      conf,
      [
        `listen: "127.0.0.1:${port}"`,
        'authorization { users: [ { user: "local", password: "local" } ] }',
        `leafnodes { remotes: [ { urls: [${JSON.stringify(url.toString())}] } ] }`,
        '',
      ].join('\n'),
    );
    const server = await startNatsServer({ configPath: conf, port });
    defer(() => server.stop());
    assert.ok(await server.waitForLog(/Leafnode connection created/i, 10_000), `leaf ${tenant} linked to the hub`);
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, user: 'local', pass: 'local' });
    defer(() => nc.close());
    return nc;
  };
  const leafA = await leafClient(A);
  const leafB = await leafClient(B);
  const control = await hub.connectControl();
  defer(() => control.close());
  const atControl = watch(control);
  const atA = watch(leafA);
  const atB = watch(leafB);
  await Promise.all([control.flush(), leafA.flush(), leafB.flush()]);

  // Positive controls: each direction of each tenant's own subjects does cross, so the watchers listen.
  await waitFor(
    'the links to carry each tenant’s own subjects',
    async () => {
      leafA.publish(subjects.up(A, 'meta'), 'probe');
      leafB.publish(subjects.up(B, 'meta'), 'probe');
      control.publish(subjects.down(A), 'probe');
      control.publish(subjects.down(B), 'probe');
      await Promise.all([leafA.flush(), leafB.flush(), control.flush()]);
      await sleep(200);
      return (
        (atControl.includes(subjects.up(A, 'meta')) &&
          atControl.includes(subjects.up(B, 'meta')) &&
          atA.includes(subjects.down(A)) &&
          atB.includes(subjects.down(B))) ||
        undefined
      );
    },
    20_000,
    0,
  );
  await sleep(300);
  atControl.length = 0;
  atA.length = 0;
  atB.length = 0;

  // What a hostile leaf of tenant A tries.
  const attempts = [
    subjects.up(B, 'meta'),
    subjects.up(B, 'usage'),
    subjects.down(B),
    subjects.down(A),
    'ap.local.runner.work',
    'ap.up.x',
    '$JS.API.STREAM.PURGE.AP_UP',
    '$JS.API.STREAM.DELETE.AP_DLQ',
    '$JS.API.STREAM.INFO.AP_UP',
  ];
  for (const s of attempts) leafA.publish(s, 'attempt');
  await leafA.flush();
  // What the control plane sends to B must not reach A either.
  control.publish(subjects.down(B), 'for B only');
  await control.flush();
  await sleep(1500);

  // The control plane's own dispatch to B echoes back to its own watcher, once; nothing of A's arrives.
  assert.deepEqual(atControl, [subjects.down(B)], "none of A's attempts reached the control plane's account");
  assert.deepEqual(atB, [subjects.down(B)], "B got its own dispatch and none of A's attempts");
  // A's watcher sees its own attempts (delivered locally on its leaf) and nothing more: not the
  // control plane's dispatch to B.
  assert.deepEqual([...atA].sort(), [...attempts].sort());
});
