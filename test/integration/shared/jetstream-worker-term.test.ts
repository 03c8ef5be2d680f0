// What a dead-lettered message's term says to the server. From nats-server 2.10.4 a term carries the
// worker's reason (it ends up in the server's termination advisory); an older server ignores a term with
// a reason whole, so none is sent there. The server here may be older, so the connection is shown to the
// worker with the version under test: what is asserted is the term the worker sends, recorded as it is
// sent (test/support/worker-rig.ts), not what the server did with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { PermanentError } from '../../../shared/worker-errors.ts';
import { fileJetStream, workerRig } from '../../support/worker-rig.ts';

const nc = await fileJetStream();

/** The same connection, reporting `info` as given (a server version, or no info yet). */
function reporting(info: { version: string } | undefined): NatsConnection {
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'info') return info === undefined ? undefined : { ...target.info, ...info };
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test("on a server that understands term reasons, a dead-lettered message's term carries its code, and handler_error for a thrown non-error", async (t) => {
  const r = await workerRig(t, nc);
  const bad = await r.publish('bad');
  const odd = await r.publish('odd');
  await r.start({
    nc: reporting({ version: '2.10.4' }),
    maxDeliver: 1,
    handle: async (msg) => Promise.reject(msg.string() === 'bad' ? new PermanentError('bad_thing', 'nope') : 'a string'),
  });
  await r.until('both terms', () => r.settled.length === 2);
  assert.deepEqual(
    r.settled.map((s) => [s.seq, s.how, s.arg]).sort(),
    [
      [bad, 'term', 'bad_thing'],
      [odd, 'term', 'handler_error'],
    ].sort(),
  );
});

test('on an older server, or a connection that has not reported its server, the term carries no reason', async (t) => {
  for (const info of [{ version: '2.10.3' }, undefined]) {
    const r = await workerRig(t, nc);
    await r.publish('bad');
    const w = await r.start({
      nc: reporting(info),
      maxDeliver: 1,
      handle: async () => Promise.reject(new PermanentError('bad_thing', 'nope')),
    });
    await r.until('the term', () => r.settled.length === 1);
    assert.deepEqual(
      r.settled.map((s) => [s.how, s.arg]),
      [['term', undefined]],
      JSON.stringify(info),
    );
    await w.stop();
  }
});
