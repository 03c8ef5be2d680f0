import type { PruneReport } from './context-budget.ts';
import type { LlmMeta } from './core.ts';
import { LlmCallerGoneError } from './errors.ts';

/**
 * Starts a stream generator and pulls its first piece before handing it out, so a failure before
 * the first byte rejects here and the caller can still answer with a plain HTTP error instead of a
 * broken event stream. The result is a plain iterator (one hop less per read than wrapping `gen`
 * in another generator) whose `cancel()` reaches the generator at any point, even before the first
 * piece was taken, so what it produced is still billed.
 */
export async function primeStream<T>(gen: AsyncGenerator<T>): Promise<{ iterator: AsyncIterator<T>; cancel(): Promise<void> }> {
  let first: IteratorResult<T> | undefined = await gen.next();
  const iterator: AsyncIterator<T> = {
    next() {
      const f = first;
      first = undefined;
      return f ? Promise.resolve(f) : gen.next();
    },
    return: (v?: unknown) => ((first = undefined), gen.return(v as never)),
  };
  return {
    iterator,
    async cancel() {
      await iterator.return!();
    },
  };
}

/**
 * A stream that failed before its first piece: if the caller left, the stream's meta (settled by
 * then: the attempt loop settles it before its generator ends) says what the attempt is billed,
 * and the caller gets it on an LlmCallerGoneError. Any other failure is passed on unchanged.
 */
async function callerGone(err: unknown, meta: Promise<LlmMeta>, signal?: AbortSignal): Promise<unknown> {
  if (!signal?.aborted || err instanceof LlmCallerGoneError) return err;
  const m = await meta.catch(() => undefined);
  return m?.cancelled ? new LlmCallerGoneError(m, { cause: err }) : err;
}

/**
 * A stream handed to a caller, whatever its pieces: primed (see primeStream), with the prune
 * report and the call's billing meta.
 */
export type MeteredStream<T> = AsyncIterable<T> & {
  pruned: PruneReport;
  /**
   * Resolves when the stream completed, or when the consumer stopped it (cancel(), or the call's
   * signal aborted) with `cancelled: true` and the usage billed up to then; rejects if it failed
   * (already reported in the stream).
   */
  meta: Promise<LlmMeta>;
  /** Stops the stream and its upstream call (e.g. the client went away). */
  cancel(): Promise<void>;
};

/** Primes `gen` (see primeStream); a caller who left before the first piece gets what was billed. */
export async function openMeteredStream<T>(
  gen: AsyncGenerator<T>,
  pruned: PruneReport,
  meta: Promise<LlmMeta>,
  signal?: AbortSignal,
): Promise<MeteredStream<T>> {
  const primed = await primeStream(gen).catch(async (err: unknown) => {
    throw await callerGone(err, meta, signal);
  });
  return { pruned, meta, cancel: primed.cancel, [Symbol.asyncIterator]: () => primed.iterator };
}
