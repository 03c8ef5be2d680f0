/**
 * The security-critical modules `npm run mutate` breaks on purpose, each with the narrowest test command
 * that proves its claims. Stryker's command runner has no per-test coverage, so every mutant of a module
 * runs that module's whole command: the command is the scope. Commands chain test files with `&&`
 * (fastest and most direct first), so a mutant is killed by the first file that fails.
 *
 * `mutate` entries are Stryker globs; `file.ts:from-to` limits a file to a line range.
 */
export interface MutationModule {
  /** The name `npm run mutate -- <name>` selects. */
  name: string;
  /** What the module promises, as SECURITY.md states it (the section its score is printed next to). */
  claim: string;
  mutate: string[];
  /** A shell command run from Stryker's sandbox (a copy of the repository); exit 0 means the mutant survived. */
  command: string;
}

/** The Node running `npm run mutate` (the project's Node 24), by absolute path: the sandbox is elsewhere. */
export const node = process.execPath;
/**
 * V8 flags for every test process. --liftoff-only: the command guard's tree-sitter-bash wasm has a lexer
 * function so large that V8's optimizing tier-up of it costs about 10 s of CPU and 500 MB, which a short
 * test process pays at exit (V8 waits for the compile job): guard.test.ts took 14 s instead of 3 s. The
 * baseline compiler computes the same results; the flag reaches `node --test`'s child processes.
 */
export const v8Flags = '--liftoff-only';
/** One `node --test` per file, chained: a mutant stops at the first file that catches it. */
export const tests = (...files: string[]) => files.map((f) => `${node} ${v8Flags} --test --test-reporter=dot ${f}`).join(' && ');
/**
 * All files in one `node --test` process (no isolation): for unit tests that start nothing, Node's start
 * and the TypeScript loading of the shared imports dominate, and paying them once halves a mutant's cost.
 */
export const testsInOneProcess = (...files: string[]) =>
  `${node} ${v8Flags} --test --test-isolation=none --test-reporter=dot ${files.join(' ')}`;
