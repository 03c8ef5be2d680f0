import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startFakeAnthropic, startFakeOpenAI } from '../../../scripts/fakes/index.ts';
import { REQ, startProxy } from './harness.ts';

/**
 * Socket writes cost a syscall each (on loopback, the receiver's TCP work too), and a stream is
 * many small events: the proxy must not spend one write per event when several arrive together.
 * Node sends a corked chunked response's pieces one syscall each, so this once cost ~30 writes
 * per 22-event stream. `_writeGeneric` is where net.Socket hands every write (and writev) to libuv.
 */
type Watched = Socket & { _writeGeneric: (...args: unknown[]) => unknown };

for (const transport of ['passthrough', 'sdk'] as const) {
  test(`${transport}: a burst of upstream events leaves for the client in one socket write, not one per event`, async () => {
    const openai = await startFakeOpenAI({ burst: true });
    const anthropic = await startFakeAnthropic();
    const h = await startProxy({ transport, fakes: { openai, anthropic } });
    let writes = 0;
    h.server.on('connection', (socket: Watched) => {
      const send = socket._writeGeneric;
      socket._writeGeneric = function (this: Socket, ...args: unknown[]) {
        writes += 1;
        return send.apply(this, args);
      };
    });
    try {
      const res = await h.post({ ...REQ, stream: true, stream_options: { include_usage: true } });
      assert.equal(res.status, 200);
      const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: '));
      assert.ok(events.length >= 10, `a real stream: ${events.length} events`);
      assert.equal(events.at(-1), 'data: [DONE]');
      // Headers with the first burst, the rest (or [DONE] and the end of the body) in one more.
      assert.ok(writes <= 3, `${writes} socket writes for ${events.length} events`);
    } finally {
      await h.close();
      await openai.close();
      await anthropic.close();
    }
  });
}
