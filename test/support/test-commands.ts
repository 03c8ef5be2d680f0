import { spawn } from 'node:child_process';
import type { RefusalCode } from '../../shared/boundary.ts';
import type { Consequence } from '../../agents/tools.ts';
import type { CommandGuard, CommandOutcome, CommandRunner, GuardVerdict, ResolvedCommand } from '../../customer-plane/guard/types.ts';

/**
 * TEST-ONLY command guard and runner, built from the guard contract's types. They are NOT a shell
 * parser and NOT a sandbox: the guard allows exactly the argv arrays a test lists (a command line is
 * split on single spaces and anything else is refused), and the runner spawns those arrays without a
 * shell and reports `sandbox: 'none'`. Shipped code uses the real guard (customer-plane/guard/).
 */
export type TestGuardRule = { argv: string[]; consequences?: Consequence[]; runsRepositoryCode?: boolean };

export function createTestOnlyGuard(rules: TestGuardRule[], fallback?: CommandGuard): CommandGuard {
  const find = (argv: readonly string[]) => rules.find((r) => r.argv.length === argv.length && r.argv.every((a, i) => a === argv[i]));
  const verdict = (argv: readonly string[], programs: readonly string[]): GuardVerdict | undefined => {
    const rule = find(argv);
    if (!rule) return undefined;
    if (!programs.includes(argv[0])) return { ok: false, reason: 'program_not_allowed', detail: `${argv[0]} is not on this agent's list` };
    return {
      ok: true,
      command: {
        pipeline: [[...argv]],
        redirects: [],
        consequences: rule.consequences ?? [],
        runsRepositoryCode: rule.runsRepositoryCode ?? false,
      },
    };
  };
  const refuse = (reason: RefusalCode, detail: string): GuardVerdict => ({ ok: false, reason, detail });
  return {
    check(command, policy) {
      const argv = /^[A-Za-z0-9_./=:@-]+( [A-Za-z0-9_./=:@-]+)*$/.test(command) ? command.split(' ') : undefined;
      const v = argv && verdict(argv, policy.programs);
      if (v) return v;
      return fallback ? fallback.check(command, policy) : refuse('command_unparseable', 'not a command the test guard lists');
    },
    checkArgv(argv, policy) {
      const v = verdict(argv, policy.programs);
      if (v) return v;
      return fallback ? fallback.checkArgv(argv, policy) : refuse('subcommand_not_allowed', 'not a command the test guard lists');
    },
  };
}

/** TEST-ONLY runner: spawns one-stage argv arrays without a shell; every execution is reported to `onRun`. */
export function createTestOnlyRunner(
  opts: { onRun?: (argv: string[], cwd: string) => void; env?: Record<string, string> } = {},
): CommandRunner {
  return {
    sandbox: 'none',
    run(command: ResolvedCommand, o): Promise<CommandOutcome> {
      const [argv] = command.pipeline;
      opts.onRun?.(argv, o.cwd);
      return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), {
          cwd: o.cwd,
          env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, o.timeoutMs);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          const truncated = stdout.length + stderr.length > o.maxOutputBytes;
          resolve({
            exitCode: code,
            signal,
            stdout: stdout.slice(0, o.maxOutputBytes),
            stderr: stderr.slice(0, o.maxOutputBytes),
            truncated,
            timedOut,
          });
        });
        child.on('error', () => {
          clearTimeout(timer);
          resolve({ exitCode: 127, signal: null, stdout: '', stderr: 'not found', truncated: false, timedOut: false });
        });
      });
    },
  };
}
