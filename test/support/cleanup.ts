import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createCleanupStack } from '../../shared/cleanup-stack.ts';

/**
 * For a test that starts several things: call the returned `defer` with each stop right after its
 * start. When the test ends they run newest first (t.after alone runs oldest first), each bounded
 * in time and errors ignored, so a test that fails half way still stops everything it started.
 */
export function deferNewestFirst(t: TestContext, boundMs = 15_000): (stop: () => unknown) => void {
  const stack = createCleanupStack();
  t.after(() => stack.unwind());
  return (stop) => stack.defer(stop, boundMs);
}

/** A temp dir (`ap-<prefix>-…`) removed when the test ends. */
export function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ap-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
