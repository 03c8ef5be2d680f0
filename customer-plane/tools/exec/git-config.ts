import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Keys in a repository's own .git/config that name programs git runs and that the runner's
 * GIT_CONFIG_* overrides cannot switch off by name, because the name is chosen by whoever wrote the
 * file: diff, merge and filter drivers selected through .gitattributes, URL-specific credential
 * helpers, signature programs, and includes that pull in another file. The guard never lets a command
 * write .git/, and the workspace is created with a fresh repository, so any of these means something
 * else wrote there; git is then not run at all.
 */
const PROGRAM_KEYS = [
  /^(diff|merge|filter)\..+\.(command|textconv|clean|smudge|process|driver)$/i,
  /^credential\..+\.helper$/i,
  /^gpg\..+\.program$/i,
  /^include\.path$/i,
  /^includeif\..+\.path$/i,
  /^remote\..+\.(uploadpack|receivepack)$/i,
];

/** Why git may not run in this workspace, or undefined. Reading the file with `git config --file` runs nothing. */
export async function gitConfigProblem(cwd: string, git: string, env: Record<string, string>): Promise<string | undefined> {
  const dotGit = join(cwd, '.git');
  const st = await lstat(dotGit).catch(() => undefined);
  if (st === undefined) return undefined;
  if (!st.isDirectory()) return '.git is not a directory (a gitdir file or link can point git at another repository)';
  const keys = await new Promise<string[]>((resolve) => {
    execFile(git, ['config', '--file', join(dotGit, 'config'), '--list', '--name-only'], { env, timeout: 10_000 }, (err, stdout) =>
      resolve(err ? [] : stdout.split('\n').filter((k) => k !== '')),
    );
  });
  const bad = keys.filter((k) => PROGRAM_KEYS.some((re) => re.test(k)));
  return bad.length > 0 ? `.git/config names programs git would run (${bad.join(', ')})` : undefined;
}
