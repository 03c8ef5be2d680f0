import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, mkdtemp, open, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Logger } from '../../../shared/log.ts';
import type { CommandOutcome, CommandRunner, ResolvedCommand } from '../../guard/types.ts';
import { PathRejectedError } from '../../workspace/workspace.ts';
import { defaultProgramPath, scrubbedEnv } from './environment.ts';
import { gitConfigProblem } from './git-config.ts';
import { killGroup, runPipeline, type Stage, type StageIO } from './pipeline.ts';
import { bwrapArgs, detectSandbox, findProgram, SANDBOX_HOME, type SandboxMode } from './sandbox.ts';

export type CommandRunnerDeps = {
  log: Logger;
  /** `auto` (default): bubblewrap when it works here, else none. `bwrap` fails to start without it. */
  sandbox?: SandboxMode;
  /** Directories searched for programs, in order (default: this Node's bin directory, then the system's). */
  path?: string[];
  /** Directories hidden inside the sandbox besides the built-in list: the state directory, secrets. */
  hide?: string[];
};

export type DisposableCommandRunner = CommandRunner & { dispose(): void };

/**
 * Runs the argv arrays the command guard resolved — never a shell — in the workspace, with a scrubbed
 * environment, a timeout that kills every process the command started, and capped output. With
 * bubblewrap each stage runs in its own sandbox (no network, read-only filesystem except the
 * workspace, private /tmp, home and state directories hidden). Where no sandbox can start the runner
 * says so once, and the gate asks a person before any command that runs repository code.
 */
export async function createCommandRunner(deps: CommandRunnerDeps): Promise<DisposableCommandRunner> {
  const path = deps.path ?? defaultProgramPath();
  const detected = await detectSandbox(deps.sandbox ?? 'auto', defaultProgramPath());
  const hide = deps.hide ?? [];
  if (detected.kind === 'bwrap') deps.log.info({ sandbox: 'bwrap' }, 'commands run in a bubblewrap sandbox');
  else deps.log.warn({ sandbox: 'none', reason: detected.why }, 'no command sandbox: commands that run repository code need approval');

  const live = new Set<ChildProcess>();
  const killLive = () => {
    for (const c of live) killGroup(c);
  };
  // The runner's process exiting (service shutdown, an uncaught error) takes its commands with it.
  process.on('exit', killLive);

  async function run(command: ResolvedCommand, opts: Parameters<CommandRunner['run']>[1]): Promise<CommandOutcome> {
    if (!isAbsolute(opts.cwd)) throw new PathRejectedError('path_invalid', 'the command runner needs an absolute workspace path');
    if (!(opts.timeoutMs > 0) || !(opts.maxOutputBytes >= 0)) throw new RangeError('timeoutMs and maxOutputBytes must be positive');
    if (command.pipeline.length === 0 || command.pipeline.some((argv) => argv.length === 0)) throw new RangeError('empty pipeline');
    const cwd = await realpath(opts.cwd);
    if (!(await stat(cwd)).isDirectory()) throw new PathRejectedError('path_invalid', 'the workspace is not a directory');

    const programs: string[] = [];
    for (const [name] of command.pipeline) {
      const found =
        findProgram(name!, path) ?? (command.runsRepositoryCode ? findProgram(name!, [join(cwd, 'node_modules', '.bin')]) : undefined);
      if (found === undefined) return notRun(127, `${name}: program not found\n`);
      programs.push(found);
    }
    if (opts.signal?.aborted) return notRun(null, 'aborted before start\n', 'SIGKILL');
    const env = scrubbedEnv({ path, home: detected.kind === 'bwrap' ? SANDBOX_HOME : '/nonexistent', cwd, extra: opts.env });
    const gitAt = command.pipeline.findIndex(([name]) => name === 'git');
    if (gitAt !== -1) {
      const problem = await gitConfigProblem(cwd, programs[gitAt]!, env);
      if (problem) return notRun(126, `git was not run: ${problem}\n`);
    }

    const files = new Map<string, FileHandle>();
    const home = detected.kind === 'bwrap' ? SANDBOX_HOME : await mkdtemp(join(tmpdir(), 'agent-home-'));
    try {
      for (const r of command.redirects) {
        if (files.has(r.path)) continue;
        const opened = await openInside(cwd, r.path, r.fd === 0 ? 'read' : r.append ? 'append' : 'truncate');
        if (typeof opened === 'string') return notRun(1, `${r.path}: ${opened}\n`);
        files.set(r.path, opened);
      }
      const stages: Stage[] = command.pipeline.map((argv, i) => {
        const io = stageIO(command, i, files);
        const argv0 = argv[0]!;
        if (detected.kind === 'bwrap') {
          // bubblewrap 0.8 cannot set argv[0]: the program sees its resolved path there, as after execvp.
          return { file: detected.bwrap!, args: [...bwrapArgs({ cwd, hide }), programs[i]!, ...argv.slice(1)], argv0: 'bwrap', io };
        }
        return { file: programs[i]!, args: argv.slice(1), argv0, io };
      });
      return await runPipeline(stages, {
        cwd,
        env: { ...env, HOME: home },
        timeoutMs: opts.timeoutMs,
        maxOutputBytes: opts.maxOutputBytes,
        signal: opts.signal,
        track: (child) => {
          live.add(child);
          return () => live.delete(child);
        },
      });
    } finally {
      await Promise.all([...files.values()].map((f) => f.close()));
      if (home !== SANDBOX_HOME) await rm(home, { recursive: true, force: true });
    }
  }

  return {
    sandbox: detected.kind,
    run,
    dispose() {
      killLive();
      process.off('exit', killLive);
    },
  };
}

function notRun(exitCode: number | null, stderr: string, signal: string | null = null): CommandOutcome {
  return { exitCode, signal, stdout: '', stderr, truncated: false, timedOut: false };
}

function stageIO(command: ResolvedCommand, i: number, files: Map<string, FileHandle>): StageIO {
  const last = command.pipeline.length - 1;
  const io: StageIO = { stdin: 'null', stdout: i === last ? 'capture' : 'next', stderr: 'capture' };
  for (const r of command.redirects) {
    const fd = files.get(r.path)!.fd;
    if (r.fd === 0 && i === 0) io.stdin = fd;
    if (r.fd === 1 && i === last) io.stdout = fd;
    if (r.fd === 2 && i === last) io.stderr = fd;
  }
  for (const s of command.streams ?? []) {
    if (s.stage !== i) continue;
    if (s.fd === 1 && s.to === 'null') io.stdout = 'null';
    if (s.fd === 2) io.stderr = s.to === 'null' ? 'null' : 'stdout';
  }
  return io;
}

/**
 * Opens a redirect file for a command. The runner opens it outside the sandbox, so the path is checked
 * again here against the real filesystem: its directory must resolve inside the workspace and the file
 * itself may not be a symlink (O_NOFOLLOW), so a planted link cannot point a write at the runner's files.
 */
async function openInside(cwd: string, rel: string, mode: 'read' | 'append' | 'truncate'): Promise<FileHandle | string> {
  if (isAbsolute(rel) || rel.split('/').includes('..') || rel.includes('\0'))
    throw new PathRejectedError('path_outside_workspace', `redirect path ${rel} is outside the workspace`);
  const full = join(cwd, rel);
  const dir = await realpath(dirname(full)).catch(() => undefined);
  if (dir === undefined) return 'No such file or directory';
  const inside = relative(cwd, dir);
  if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
    throw new PathRejectedError('path_symlink_escape', `redirect path ${rel} leaves the workspace`);
  const flags =
    mode === 'read'
      ? constants.O_RDONLY | constants.O_NOFOLLOW
      : constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (mode === 'append' ? constants.O_APPEND : constants.O_TRUNC);
  try {
    return await open(join(dir, full.slice(full.lastIndexOf(sep) + 1)), flags, 0o644);
  } catch (err) {
    // Missing input, a directory, or a symlink refused by O_NOFOLLOW: the command fails as it would in a shell.
    return `cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
