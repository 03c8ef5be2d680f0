import type { Readable } from 'node:stream';

/**
 * Unread bytes that may wait before the source is paused (TCP then slows the sender). Counted in
 * bytes, not chunks: an upstream read holds dozens of small events, each its own chunk, and
 * pausing partway splits one read into several client writes.
 */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * A readable byte stream as an async iterator driven by 'data' events. Node's own readable
 * iterator is an async generator around read() and 'readable' events, and costs about twice as
 * much per read; on the pass-through stream path it runs for every upstream socket read. Same
 * contract: each read yields all bytes that arrived since the previous one (in order, joined),
 * then the stream's error (or a premature-close error when it closed without ending);
 * return() stops early and destroys the stream.
 */
export function readableChunks(source: Readable): AsyncIterableIterator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let waiting: { resolve(r: IteratorResult<Buffer>): void; reject(e: unknown): void } | undefined;
  let ended = false;
  let failure: unknown;

  const settle = () => {
    if (!waiting) return;
    const w = waiting;
    if (queue.length) {
      waiting = undefined;
      w.resolve({ value: take(), done: false });
    } else if (failure !== undefined) {
      waiting = undefined;
      w.reject(failure);
    } else if (ended) {
      waiting = undefined;
      w.resolve({ value: undefined, done: true });
    }
  };
  // Everything that arrived since the last read, as one buffer: the consumer parses per read, and
  // one upstream read is dozens of events, each pushed as its own chunk.
  const take = (): Buffer => {
    const value = queue.length === 1 ? queue[0] : Buffer.concat(queue, queued);
    queue.length = 0;
    queued = 0;
    if (source.isPaused()) source.resume();
    return value;
  };
  // A waiting read is answered a microtask later, once the rest of the burst (pushed in the same
  // synchronous loop) has joined the queue.
  let deferred = false;
  const settleSoon = () => {
    deferred = false;
    settle();
  };
  const onData = (c: Buffer) => {
    queue.push(c);
    queued += c.length;
    if (queued >= HIGH_WATER_BYTES) source.pause();
    if (waiting && !deferred) {
      deferred = true;
      queueMicrotask(settleSoon);
    }
  };
  const onEnd = () => ((ended = true), settle());
  const onError = (err: unknown) => ((failure ??= err), settle());
  const onClose = () => {
    if (!ended && failure === undefined)
      failure = Object.assign(new Error('the stream closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
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

  const iterator: AsyncIterableIterator<Buffer> = {
    next() {
      if (queue.length) return Promise.resolve({ value: take(), done: false });
      if (failure !== undefined) return Promise.reject(failure);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      detach();
      // The error listener stays: destroying can still emit one, which must not go unhandled.
      source.on('error', () => undefined);
      queue.length = 0;
      queued = 0;
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
