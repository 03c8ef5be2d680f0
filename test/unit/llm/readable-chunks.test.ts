import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readableChunks } from '../../../shared/llm/providers/readable-chunks.ts';

const source = () => new Readable({ read() {} });

async function drain(it: AsyncIterator<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return out;
    out.push(r.value.toString());
  }
}

test('yields every chunk in order, whether it came before or after the read, then ends', async () => {
  const r = source();
  const it = readableChunks(r);
  r.push('a');
  r.push('b');
  const got = drain(it);
  setImmediate(() => (r.push('c'), r.push(null)));
  assert.deepEqual(await got, ['a', 'b', 'c']);
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
  const first: number[] = [];
  for (let i = 0; i < 8; i++) first.push((await it.next()).value![0]);
  assert.deepEqual(first, [0, 1, 2, 3, 4, 5, 6, 7]);
  r.push(null);
  const rest = (await drain(it)).map((s) => s.charCodeAt(0));
  assert.deepEqual(rest, Array.from({ length: 12 }, (_, i) => i + 8));
});

test('a burst of small chunks, as one upstream read of many events, is not paused partway', async () => {
  const r = source();
  const it = readableChunks(r);
  for (let i = 0; i < 40; i++) r.push(`data: event ${i}\n\n`);
  await new Promise(setImmediate);
  assert.equal(r.isPaused(), false);
  r.push(null);
  assert.equal((await drain(it)).length, 40);
});
