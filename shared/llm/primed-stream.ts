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
