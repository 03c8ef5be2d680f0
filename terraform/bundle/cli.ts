// Shared bits of the bundle CLIs: argument parsing, the default bundle directory, and exit handling.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export function args(options: Record<string, { type: 'string' | 'boolean' }>) {
  const { values } = parseArgs({ options: { ...options, dir: { type: 'string' } }, allowPositionals: false, strict: true });
  return { ...values, dir: resolve((values.dir as string | undefined) ?? DEFAULT_DIST) } as Record<string, string | undefined> & {
    dir: string;
  };
}

/** Exit codes: 1 = the bundle does not verify; 2 = the tool was not given what it needs. */
export async function main(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    console.error(`error: ${err.message}`);
    process.exitCode = err.exitCode ?? 2;
  }
}
