import { open, stat } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';

/**
 * What a person approving an action sees of file changes and secrets. Computed only when the gate
 * asks (never for an allowed write), from the workspace as it is at that moment.
 */

/** Files larger than this are described, not diffed: the preview stays readable and bounded. */
const MAX_DIFF_SOURCE_BYTES = 1024 * 1024;

/**
 * The unified diff (`git diff` style, a/ and b/ prefixes) of writing `next` to `rel`, or of deleting it
 * (`next` null). A file that is binary or too large is named with its size instead of diffed.
 */
export async function fileChangeDiff(rel: string, abs: string, next: string | null): Promise<string> {
  const current = await readCurrent(abs);
  if (current.kind === 'opaque')
    return `${next === null ? 'delete' : 'overwrite'} ${rel}: the current file is ${current.why} (${current.bytes} bytes); no diff shown\n`;
  const before = current.kind === 'text' ? current.text : '';
  const oldName = current.kind === 'missing' ? '/dev/null' : `a/${rel}`;
  const newName = next === null ? '/dev/null' : `b/${rel}`;
  return createTwoFilesPatch(oldName, newName, before, next ?? '', undefined, undefined, { context: 3 });
}

type Current = { kind: 'missing' } | { kind: 'text'; text: string } | { kind: 'opaque'; why: string; bytes: number };

async function readCurrent(abs: string): Promise<Current> {
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isFile()) return { kind: 'missing' };
  if (info.size > MAX_DIFF_SOURCE_BYTES) return { kind: 'opaque', why: 'too large to diff', bytes: info.size };
  const fh = await open(abs, 'r');
  try {
    const buf = await fh.readFile();
    if (buf.subarray(0, 8000).includes(0)) return { kind: 'opaque', why: 'binary', bytes: buf.length };
    return { kind: 'text', text: buf.toString('utf8') };
  } finally {
    await fh.close();
  }
}
