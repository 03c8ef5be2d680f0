import { createHash } from 'node:crypto';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/**
 * Token counting with o200k_base. Encoding is slow (about 2 ms per 4 KB on one core), so counts
 * are memoised per text, and callers first check the cheap upper bound: a byte-level BPE never
 * emits more tokens than the text has UTF-8 bytes, so a request whose bytes fit needs no counting.
 */
export type TokenCounter = {
  count(text: string): number;
};

let encoder: Tiktoken | undefined;

export function createTokenCounter(opts: { cacheEntries?: number } = {}): TokenCounter {
  const max = opts.cacheEntries ?? 4096;
  const memo = new Map<string, number>();
  return {
    count(text) {
      if (text.length === 0) return 0;
      // Short strings are cheaper to encode than to hash; long ones repeat across agent-loop calls.
      const key = text.length < 256 ? text : `${text.length}:${createHash('sha1').update(text).digest('base64')}`;
      const hit = memo.get(key);
      if (hit !== undefined) return hit;
      encoder ??= new Tiktoken(o200kBase);
      const n = encoder.encode(text).length;
      if (memo.size >= max) memo.delete(memo.keys().next().value as string);
      memo.set(key, n);
      return n;
    },
  };
}

/** Upper bound on the tokens of any text: its UTF-8 byte length. */
export function tokenUpperBound(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
