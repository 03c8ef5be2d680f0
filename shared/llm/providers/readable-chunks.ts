import type { Readable } from 'node:stream';

/** How many unread chunks may wait before the source is paused (TCP then slows the sender). */
const HIGH_WATER_CHUNKS = 8;

/**
 * A readable stream's chunks as an async iterator driven by 'data' events. Node's own readable
 * iterator is an async generator around read() and 'readable' events; on the pass-through stream
 * path it runs once per upstream socket read, and this one costs about half as much per chunk.
 * Same contract: chunks in order, then the stream's error (or a premature-close error when it
 * closed without ending) from the next read; return() stops early and destroys the stream.
 */
export function readableChunks<T = Buffer>(source: Readable): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let waiting: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  let ended = false;
  let failure: unknown;

  const settle = () => {
    if (!waiting) return;
    const w = waiting;
    if (queue.length) {
      waiting = undefined;
      w.resolve({ value: queue.shift() as T, done: false });
    } else if (failure !== undefined) {
      waiting = undefined;
      w.reject(failure);
    } else if (ended) {
      waiting = undefined;
      w.resolve({ value: undefined, done: true });
    }
  };
  const onData = (c: T) => {
    queue.push(c);
    if (queue.length >= HIGH_WATER_CHUNKS) source.pause();
    settle();
  };
  const onEnd = () => ((ended = true), settle());
  const onError = (err: unknown) => ((failure ??= err), settle());
  const onClose = () => {
    if (!ended && failure === undefined) failure = Object.assign(new Error('the stream closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    settle();
  };
  const detach = () => {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
    source.off('close', onClose);
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onError);
  source.on('close', onClose);

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queue.length) {
        const value = queue.shift() as T;
        if (queue.length === 0 && source.isPaused()) source.resume();
        return Promise.resolve({ value, done: false });
      }
      if (failure !== undefined) return Promise.reject(failure);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      detach();
      // The error listener stays: destroying can still emit one, which must not go unhandled.
      source.on('error', () => undefined);
      queue.length = 0;
      ended = true;
      settle();
      if (!source.destroyed) source.destroy();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
