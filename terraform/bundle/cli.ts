// Shared bits of the bundle CLIs: argument parsing, the default bundle directory, and exit handling.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BundleError } from './errors.ts';

export const DEFAULT_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export function args(options: Record<string, { type: 'string' | 'boolean' }>) {
  const { values } = parseArgs({ options: { ...options, dir: { type: 'string' } }, allowPositionals: false, strict: true });
  return { ...values, dir: resolve((values.dir as string | undefined) ?? DEFAULT_DIST) } as Record<string, string | undefined> & {
    dir: string;
  };
}

/** Exit codes: 1 = the bundle does not verify; 2 = the tool was not given what it needs (also for any other failure). */
export async function main(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : 'unknown failure'}`);
    process.exitCode = err instanceof BundleError ? err.exitCode : 2;
  }
}
