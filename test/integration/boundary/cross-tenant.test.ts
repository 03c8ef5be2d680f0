import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { subjects } from '../../../shared/subjects.ts';
import { STREAMS } from '../../../control-plane/hub/streams.ts';
import { startEmbeddedLeaf } from '../../../customer-plane/leaf/embedded.ts';
import { createTenant, enrollDirect, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { hubRig } from '../../support/hub-rig.ts';

test("a tenant's leaf cannot reach another tenant's or local subjects on the hub, and its runner login cannot publish ap.up at all", async (t) => {
  const { defer, dir, hub, operatorToken, startControl } = await hubRig(t, 'xtenant');
  const control = await startControl();
  const op = await operatorToken();
  const a = await createTenant(control.url, op, 'tenant-a');
  const b = await createTenant(control.url, op, 'tenant-b');
  const enrolledA = await enrollDirect(control.url, a.enrollToken);
  const enrolledB = await enrollDirect(control.url, b.enrollToken);
  const leafA = await startEmbeddedLeaf({
    stateDir: join(dir.path, 'a'),
    tenant: a.tenant,
    hubLeafUrl: enrolledA.leaf.url,
    leafUser: enrolledA.leaf.username,
    leafPassword: enrolledA.leaf.password,
  });
  defer(() => leafA.process.stop());
  const leafB = await startEmbeddedLeaf({
    stateDir: join(dir.path, 'b'),
    tenant: b.tenant,
    hubLeafUrl: enrolledB.leaf.url,
    leafUser: enrolledB.leaf.username,
    leafPassword: enrolledB.leaf.password,
  });
  defer(() => leafB.process.stop());

  // The observer sees everything that reaches the control plane's account on the hub.
  const observer = await hub.connectControl();
  defer(() => observer.close());
  const seen: string[] = [];
  observer.subscribe('>', {
    callback: (_e, m) => void (m.subject.startsWith('$') || m.subject.startsWith('_INBOX') ? 0 : seen.push(m.subject)),
  });
  await observer.flush();
  const jsm = await waitFor('JetStream after the reload', () => jetstreamManager(observer).catch(() => undefined), 10_000);
  const upBefore = (await jsm.streams.info(STREAMS.up.name)).state.last_seq;

  const egressA: NatsConnection = await connect({
    servers: leafA.natsUrl,
    user: leafA.logins.egress.user,
    pass: leafA.logins.egress.password,
  });
  defer(() => egressA.close());
  const runnerA: NatsConnection = await connect({
    servers: leafA.natsUrl,
    user: leafA.logins.runner.user,
    pass: leafA.logins.runner.password,
  });
  const runnerErrors: string[] = [];
  void (async () => {
    for await (const s of runnerA.status()) if (s.type === 'error') runnerErrors.push(String(s.error));
  })();
  defer(() => runnerA.close());

  // Positive control: A's own up subject does arrive, so the observer is really listening.
  await waitFor(
    "the leaf link to carry A's own subject",
    async () => {
      egressA.publish(subjects.up(a.tenant, 'meta'), 'probe');
      await egressA.flush();
      await sleep(200);
      return seen.includes(subjects.up(a.tenant, 'meta')) || undefined;
    },
    15_000,
    0,
  );
  const afterProbe = await waitFor(
    "A's own subject in AP_UP",
    async () => {
      const n = (await jsm.streams.info(STREAMS.up.name)).state.last_seq;
      return n > upBefore ? n : undefined;
    },
    10_000,
  );
  await sleep(300);
  assert.equal((await jsm.streams.info(STREAMS.up.name)).state.last_seq, afterProbe, 'probes settled');
  seen.length = 0;

  // The attempts: another tenant's up subject, a local subject, a down subject, and ap.up from the runner.
  egressA.publish(subjects.up(b.tenant, 'meta'), 'cross-tenant');
  egressA.publish(subjects.up(b.tenant, 'usage'), 'cross-tenant');
  egressA.publish('ap.local.x', 'local');
  egressA.publish(subjects.down(b.tenant), 'down-hijack');
  runnerA.publish(subjects.up(a.tenant, 'meta'), 'from-runner');
  runnerA.publish(subjects.up(b.tenant, 'meta'), 'from-runner');
  await egressA.flush();
  await runnerA.flush().catch(() => {});
  await sleep(1500);

  assert.deepEqual(seen, [], 'nothing reached the CONTROL account on the hub');
  assert.equal(
    (await jsm.streams.info(STREAMS.up.name)).state.last_seq,
    afterProbe,
    'AP_UP received nothing (its last sequence did not move)',
  );
  await waitFor('the runner permission violation', () => runnerErrors.some((e) => /permissions violation/i.test(e)) || undefined, 5_000);
});
