import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/**
 * o200k_base token counting whose cost is linear in the text's length. js-tiktoken merges each
 * pre-token (a word, a run of punctuation or whitespace) with a quadratic loop, so one long
 * pre-token — 16 K copies of one character, a CJK paragraph without spaces — costs seconds to
 * minutes. Here the text is pre-tokenised with the encoding's own pattern first; ordinary
 * pre-tokens are encoded in batches, cut only at pre-token boundaries, which gives exactly the
 * count of encoding the whole text; a pre-token longer than MAX_PIECE_BYTES is cut into pieces of
 * at most that size and each is counted alone. Cutting can only add a token at each cut, so such a
 * count errs high by a little, the safe side for budgeting. This module runs on the token worker
 * thread (token-worker.ts); it is separate so tests and the bench can time it directly.
 */

/** Longest piece given to the BPE merge, in UTF-8 bytes; the merge costs the square of it. */
export const MAX_PIECE_BYTES = 24;
/** Counts of cut pieces are remembered: pathological input is mostly one piece over and over. */
const PIECE_MEMO_MAX = 65_536;
const pieceMemo = new Map<string, number>();
/** Ordinary pre-tokens are encoded in batches of about this many code units. */
const BATCH_UNITS = 4096;

let encoder: Tiktoken | undefined;
let pattern: RegExp | undefined;

function encodedLength(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  // No special tokens: a prompt that contains "<|endoftext|>" is text like any other, not an error.
  return encoder.encode(text, [], []).length;
}

function countPiece(piece: string): number {
  let n = pieceMemo.get(piece);
  if (n !== undefined) return n;
  n = encodedLength(piece);
  if (pieceMemo.size >= PIECE_MEMO_MAX) pieceMemo.delete(pieceMemo.keys().next().value as string);
  pieceMemo.set(piece, n);
  return n;
}

/** Thrown when counting passes its deadline; the caller falls back to the byte bound. */
export class CountDeadlineError extends Error {
  constructor() {
    super('token count deadline passed');
    this.name = 'CountDeadlineError';
  }
}

/** Cuts a long pre-token into pieces of at most MAX_PIECE_BYTES, never inside a character. */
function countLongPiece(piece: string, deadline: number): number {
  let n = 0;
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < piece.length; ) {
    const c = piece.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < piece.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > MAX_PIECE_BYTES) {
      if (Date.now() > deadline) throw new CountDeadlineError();
      n += countPiece(piece.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += pair ? 2 : 1;
  }
  return n + countPiece(piece.slice(start));
}

/**
 * Tokens of `text` in o200k_base: exact unless it holds a pre-token longer than MAX_PIECE_BYTES.
 * `deadline` (epoch ms) is checked between pieces; past it, CountDeadlineError is thrown.
 */
export function countTokens(text: string, deadline = Number.POSITIVE_INFINITY): number {
  if (text.length === 0) return 0;
  pattern ??= new RegExp(o200kBase.pat_str, 'gu');
  const re = new RegExp(pattern.source, pattern.flags);
  let n = 0;
  let batchStart = 0;
  let batchEnd = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const piece = m[0];
    if (piece.length === 0) {
      re.lastIndex += 1;
      continue;
    }
    // Code units bound bytes only loosely (one unit is up to 3 bytes); long pieces are cut by bytes.
    if (piece.length * 3 <= MAX_PIECE_BYTES || Buffer.byteLength(piece) <= MAX_PIECE_BYTES) {
      // Batches are cut only between pre-tokens, so re-matching inside a batch finds the same ones.
      if (m.index - batchStart >= BATCH_UNITS) {
        if (Date.now() > deadline) throw new CountDeadlineError();
        n += encodedLength(text.slice(batchStart, batchEnd));
        batchStart = m.index;
      }
      batchEnd = m.index + piece.length;
      continue;
    }
    if (batchEnd > batchStart) n += encodedLength(text.slice(batchStart, batchEnd));
    n += countLongPiece(piece, deadline);
    batchStart = batchEnd = m.index + piece.length;
  }
  if (batchEnd > batchStart) n += encodedLength(text.slice(batchStart, batchEnd));
  return n;
}
