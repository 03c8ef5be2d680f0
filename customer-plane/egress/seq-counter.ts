import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/**
 * Batch sequence numbers that only ever increase, across restarts and crashes. A block of numbers is
 * reserved on disk (fsynced) before any of it is used, so after a crash the counter resumes past
 * the block: numbers may be skipped, never reused. The control plane rejects any reused seq.
 */
export function createSeqCounter(path: string, blockSize = 1000): { next(): number } {
  let next = readStart(path);
  let reservedUntil = next;
  const reserve = () => {
    reservedUntil = next + blockSize;
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, String(reservedUntil));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  };
  return {
    next() {
      if (next >= reservedUntil) reserve();
      return next++;
    },
  };
}

function readStart(path: string): number {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`sequence file ${path} is corrupt`);
    return n;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw err;
  }
}
