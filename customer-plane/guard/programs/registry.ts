import { type Allowed, type Refusal, refuse } from '../refusal.ts';
import { filePrograms } from './files.ts';
import { checkFind } from './find.ts';
import { checkGit } from './git.ts';
import { checkWithSpec } from './options.ts';
import { checkSed } from './sed.ts';
import { textPrograms } from './text.ts';
import { checkToolchain, toolchainRules, toolchainSpecs } from './toolchains.ts';

/**
 * The guard's own program registry: a program runs only if it is listed here *and* on the agent's
 * list. Programs that start other programs from their arguments (shells, `env`, `xargs`, `sudo`,
 * `timeout`, interpreters with inline code…) and network clients are refused by name with their own
 * codes, even when an agent definition lists them.
 */
const WRAPPERS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'fish',
  'csh',
  'tcsh',
  'busybox',
  'env',
  'xargs',
  'sudo',
  'su',
  'doas',
  'runuser',
  'pkexec',
  'timeout',
  'nice',
  'ionice',
  'nohup',
  'setsid',
  'stdbuf',
  'time',
  'watch',
  'chroot',
  'unshare',
  'nsenter',
  'flock',
  'taskset',
  'script',
  'strace',
  'ltrace',
  'gdb',
  'fakeroot',
  'parallel',
  'exec',
  'eval',
  'source',
  '.',
  'command',
  'builtin',
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'perl',
  'ruby',
  'php',
  'lua',
  'tclsh',
  'expect',
  'vi',
  'vim',
  'nvim',
  'emacs',
  'nano',
  'less',
  'more',
  'man',
  'npx',
  'pnpx',
  'bunx',
  'dlx',
  'at',
  'batch',
  'crontab',
]);
const NETWORK = new Set([
  'curl',
  'wget',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'ssh',
  'scp',
  'sftp',
  'rsync',
  'telnet',
  'ftp',
  'tftp',
  'ping',
  'dig',
  'nslookup',
  'host',
  'openssl',
  'aws',
  'gcloud',
  'az',
  'gh',
  'http',
  'https',
  'httpie',
  'aria2c',
  'lynx',
  'w3m',
]);

export type ProgramRule = (args: readonly string[]) => Allowed | Refusal;

const custom: Record<string, ProgramRule> = { find: checkFind, git: checkGit, sed: checkSed };

export function isRegistered(program: string): boolean {
  return (
    Object.hasOwn(custom, program) ||
    Object.hasOwn(textPrograms, program) ||
    Object.hasOwn(filePrograms, program) ||
    Object.hasOwn(toolchainRules, program) ||
    Object.hasOwn(toolchainSpecs, program)
  );
}

/** A refusal that holds whatever the agent's list says, or undefined. */
export function refusedByName(program: string): Refusal | undefined {
  if (WRAPPERS.has(program)) return refuse('shell_wrapper', `${program} runs other programs or code from its arguments`);
  if (NETWORK.has(program)) return refuse('network_not_allowed', `${program} reaches the network; use the fetch_url tool`);
  if (!isRegistered(program)) return refuse('program_not_allowed', `${program} is not a program the guard knows`);
  return undefined;
}

export function checkProgram(program: string, args: readonly string[]): Allowed | Refusal {
  if (Object.hasOwn(custom, program)) return custom[program]!(args);
  if (Object.hasOwn(textPrograms, program)) return checkWithSpec(program, args, textPrograms[program]!);
  if (Object.hasOwn(filePrograms, program)) return checkWithSpec(program, args, filePrograms[program]!);
  return checkToolchain(program, args) ?? refuse('program_not_allowed', `${program} is not a program the guard knows`);
}

/** Every program name the registry allows (for documentation and tests). */
export function registeredPrograms(): string[] {
  return [
    ...Object.keys(custom),
    ...Object.keys(textPrograms),
    ...Object.keys(filePrograms),
    ...Object.keys(toolchainRules),
    ...Object.keys(toolchainSpecs),
  ].sort();
}
