import type { RefusalCode } from '../../shared/boundary.ts';
import type { Consequence } from '../../agents/tools.ts';

/**
 * The command guard's contract with the gate and the tool executors. The guard parses what an agent
 * asks to run and resolves it to argv arrays; the runner executes exactly those arrays, never a shell,
 * so what was checked is what runs.
 */

/** Which programs an agent may start (from its definition) and whether the sandbox is available. */
export type CommandPolicy = { programs: readonly string[] };

export type ResolvedCommand = {
  /** One argv per pipeline stage; stage i's stdout feeds stage i+1's stdin. argv[0] is a bare program name. */
  pipeline: string[][];
  /** Redirections the guard allowed: a workspace-relative file for stdin of the first or stdout/stderr of the last stage. */
  redirects: Array<{ fd: 0 | 1 | 2; path: string; append: boolean }>;
  /**
   * Stream routing that names no file: `>/dev/null`, `2>/dev/null` (to `null`) and `2>&1` (stderr to
   * the stage's own stdout pipe: the next stage's stdin, or the captured stdout). Any stage. Absent = none.
   * When stdout and stderr of the last stage go to the same file, `redirects` has both and the runner
   * opens the file once.
   */
  streams?: Array<{ stage: number; fd: 1 | 2; to: 'null' | 'stdout' }>;
  /** Consequential actions the command performs (e.g. `git push` → push); the gate asks a person for these. */
  consequences: Consequence[];
  /** True when the command executes the repository's own code (npm test, make, node x.js, pytest). */
  runsRepositoryCode: boolean;
};

export type GuardVerdict = { ok: true; command: ResolvedCommand } | { ok: false; reason: RefusalCode; detail: string };

export type CommandGuard = {
  /** A command line as an agent wrote it. */
  check(command: string, policy: CommandPolicy): GuardVerdict;
  /** An argv an executor built itself (e.g. the `git` tool's arguments), checked by the same rules. */
  checkArgv(argv: readonly string[], policy: CommandPolicy): GuardVerdict;
};

export type CommandOutcome = {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Output beyond the cap was dropped. */
  truncated: boolean;
  timedOut: boolean;
};

export type CommandRunner = {
  /** How commands are isolated on this machine; `none` means repository code may not run without approval. */
  readonly sandbox: 'bwrap' | 'unshare' | 'none';
  run(
    command: ResolvedCommand,
    opts: {
      /** The workspace root; the only writable place. */
      cwd: string;
      timeoutMs: number;
      maxOutputBytes: number;
      /** Extra variables for this run only (e.g. a substituted secret); the base environment is scrubbed. */
      env?: Record<string, string>;
      signal?: AbortSignal;
    },
  ): Promise<CommandOutcome>;
};
