import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { SyntaxService } from '../../agents/types.ts';
import { createSyntaxService } from '../analysis/syntax.ts';
import { createCommandGuard } from '../guard/guard.ts';
import type { CommandGuard, CommandRunner } from '../guard/types.ts';
import { createCommandRunner } from '../tools/exec/runner.ts';
import { type SandboxMode, SandboxUnavailableError } from '../tools/exec/sandbox.ts';

export type CommandExecution = {
  guard: CommandGuard;
  runner: CommandRunner;
  syntax: SyntaxService;
  /** Kills every command still running and lets go of the process hooks; call it on every way out. */
  dispose(): void;
};

/**
 * What the customer plane runs agents' commands and analyses with, created once at start: the command
 * guard (tree-sitter-bash, allow-lists), the command runner (argv arrays, no shell, in a bubblewrap
 * sandbox that hides the state directory where one can start) and the syntax service the
 * deterministic agents parse code with. A test may put its own guard or runner in their place.
 */
export async function createCommandExecution(opts: {
  sandbox: SandboxMode;
  stateDir: string;
  log: Logger;
  guard?: CommandGuard;
  runner?: CommandRunner;
}): Promise<CommandExecution> {
  const guard = opts.guard ?? (await createCommandGuard());
  const syntax = await createSyntaxService();
  if (opts.runner) return { guard, runner: opts.runner, syntax, dispose() {} };
  const runner = await createCommandRunner({ log: opts.log, sandbox: opts.sandbox, hide: [opts.stateDir] }).catch((err: unknown) => {
    if (err instanceof SandboxUnavailableError) throw new ConfigError('customer-plane', [err.message]);
    throw err;
  });
  return { guard, runner, syntax, dispose: () => runner.dispose() };
}
