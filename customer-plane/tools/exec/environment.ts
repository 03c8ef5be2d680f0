import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The environment a command starts with. Nothing is inherited from the runner's own environment (which
 * holds its secrets and credentials): only a fixed PATH, a private HOME, a neutral locale, and settings
 * that keep git from running programs named in a repository's configuration.
 */

/** Directories searched for programs: this Node's own bin directory, then the system's. Never the caller's PATH. */
export function defaultProgramPath(): string[] {
  const dirs = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [...new Set(dirs)].filter((d) => existsSync(d));
}

/**
 * git reads configuration from the repository's .git/config, which repository content or an earlier
 * command may have written; keys there can name programs git will run (fsmonitor, hooks, pager,
 * editor, ssh, credential helpers, external diff, gpg). These `GIT_CONFIG_*` entries have the same
 * precedence as `git -c` (they override the repository's file) without changing the argv that was
 * checked. System and global configuration are not read at all.
 */
const GIT_OVERRIDES: Array<[string, string]> = [
  ['core.fsmonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['core.pager', 'cat'],
  ['core.editor', 'false'],
  ['core.sshCommand', 'false'],
  ['core.askPass', ''],
  ['core.gitProxy', ''],
  ['credential.helper', ''],
  ['diff.external', ''],
  ['gpg.program', 'false'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['protocol.ext.allow', 'never'],
  ['protocol.file.allow', 'never'],
  ['sequence.editor', 'false'],
  ['merge.tool', ''],
  ['diff.tool', ''],
];

export function gitHardening(ceiling: string): Record<string, string> {
  const env: Record<string, string> = {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_EDITOR: 'false',
    GIT_ASKPASS: '',
    // A workspace without .git must not find the repository it sits in (git walks up the tree).
    GIT_CEILING_DIRECTORIES: ceiling,
    GIT_CONFIG_COUNT: String(GIT_OVERRIDES.length),
  };
  GIT_OVERRIDES.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * The base environment. `extra` (from the tool executor, e.g. a secret substituted for this run) is
 * applied first, so it can never replace PATH, HOME or the git settings.
 */
export function scrubbedEnv(opts: { path: string[]; home: string; cwd: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    ...(opts.extra ?? {}),
    PATH: opts.path.join(':'),
    HOME: opts.home,
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    CI: 'true',
    PAGER: 'cat',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...gitHardening(dirname(opts.cwd)),
  };
}
