import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readableChunks } from '../../../../../shared/llm/passthrough/readable-chunks.ts';

const source = () => new Readable({ read() {} });

async function drain(it: AsyncIterator<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return out;
    out.push(r.value.toString());
  }
}

test('yields every byte in order, whether it came before or after the read, then ends', async () => {
  const r = source();
  const it = readableChunks(r);
  r.push('a');
  r.push('b');
  const got = drain(it);
  setImmediate(() => (r.push('c'), r.push(null)));
  assert.equal((await got).join(''), 'abc');
});

test('what arrived together is read together: a burst of events is one read, not one per event', async () => {
  const r = source();
  const it = readableChunks(r);
  const pending = it.next(); // a read waiting before the burst, as the gateway's is
  setImmediate(() => {
    for (let i = 0; i < 22; i++) r.push(`data: ${i}\n\n`);
  });
  const first = await pending;
  assert.equal(first.value?.toString(), Array.from({ length: 22 }, (_, i) => `data: ${i}\n\n`).join(''));
});

test('a stream error reaches the reader after the chunks that came before it', async () => {
  const r = source();
  const it = readableChunks(r);
  r.push('kept');
  setImmediate(() => r.destroy(new Error('socket reset')));
  assert.equal((await it.next()).value?.toString(), 'kept');
  await assert.rejects(it.next(), /socket reset/);
});

test('a stream that closes without ending is an error, not a hang', async () => {
  const r = source();
  const it = readableChunks(r);
  setImmediate(() => r.destroy());
  await assert.rejects(it.next(), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
});

test('stopping early destroys the stream and settles a read in progress', async () => {
  const r = source();
  const it = readableChunks(r);
  const pending = it.next();
  await it.return!();
  assert.equal(r.destroyed, true);
  assert.deepEqual(await pending, { value: undefined, done: true });
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('a reader that falls behind pauses the source at 64 KB waiting and resumes it once caught up', async () => {
  const r = source();
  const it = readableChunks(r);
  const piece = (i: number) => Buffer.alloc(8 * 1024, i);
  for (let i = 0; i < 20; i++) r.push(piece(i));
  await new Promise(setImmediate);
  assert.equal(r.isPaused(), true);
  const first = (await it.next()).value!;
  assert.equal(first.length, 8 * 8 * 1024, 'what waited, and no more');
  assert.equal(r.isPaused(), false, 'resumed once read');
  r.push(null);
  const all = Buffer.concat([first, ...(await drain(it)).map((s) => Buffer.from(s, 'latin1'))]);
  assert.equal(all.length, 20 * 8 * 1024);
  assert.deepEqual(
    [...Array(20).keys()].map((i) => all[i * 8 * 1024]),
    [...Array(20).keys()],
  );
});

test('a burst of small chunks, as one upstream read of many events, is not paused partway', async () => {
  const r = source();
  const it = readableChunks(r);
  for (let i = 0; i < 40; i++) r.push(`data: event ${i}\n\n`);
  await new Promise(setImmediate);
  assert.equal(r.isPaused(), false);
  r.push(null);
  assert.equal((await drain(it)).join(''), Array.from({ length: 40 }, (_, i) => `data: event ${i}\n\n`).join(''));
});
