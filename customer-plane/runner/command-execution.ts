import type { CommandGuard, CommandRunner } from '../guard/types.ts';

/**
 * Which command guard and runner the customer plane uses. This release ships no shell parser of its
 * own, so the guard refuses every command (`program_not_allowed`) and the runner reports no sandbox:
 * the safe default, under which run_command and git are refused by the gate and nothing ever runs.
 * The command guard (tree-sitter-bash) and the sandboxed runner replace these two, here, in one place.
 */
export function createDefaultDenyGuard(): CommandGuard {
  const refuse = () => ({
    ok: false as const,
    reason: 'program_not_allowed' as const,
    detail: 'no command may run: this customer plane has no command guard',
  });
  return { check: refuse, checkArgv: refuse };
}

/** A runner that has nothing to run: reached only if a guard allowed a command, which the default never does. */
export function createUnavailableRunner(): CommandRunner {
  return {
    sandbox: 'none',
    async run() {
      throw Object.assign(new Error('no command runner is configured'), { code: 'tool_denied' });
    },
  };
}

export function createCommandExecution(): { guard: CommandGuard; runner: CommandRunner } {
  return { guard: createDefaultDenyGuard(), runner: createUnavailableRunner() };
}
