import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { ResolvedCommand } from '../../../../customer-plane/guard/types.ts';
import { createCommandRunner } from '../../../../customer-plane/tools/exec/runner.ts';
import { PathRejectedError } from '../../../../customer-plane/workspace/workspace.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

// The runner executes what it is given; these tests hand it argv directly (the guard is tested elsewhere).
const node = (script: string, ...args: string[]): ResolvedCommand => ({
  pipeline: [['node', '-e', script, ...args]],
  redirects: [],
  consequences: [],
  runsRepositoryCode: true,
});
const bwrapRunner = await createCommandRunner({ log: silentLogger() });
const modes = bwrapRunner.sandbox === 'bwrap' ? (['none', 'bwrap'] as const) : (['none'] as const);
bwrapRunner.dispose();

function workspace(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runner-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Host processes whose command line carries the marker: what survives a kill. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) pids.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * The marked processes that are the command itself, not bubblewrap (whose own command line carries the
 * command's argv): bwrap sets its parent-death signal only once its namespaces exist, so "running" means
 * the command got to run.
 */
function commandProcessesWith(marker: string): number[] {
  return processesWith(marker).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'bwrap';
    } catch {
      return false;
    }
  });
}

/** Waits up to 20 s (a loaded 2-core machine tears a sandbox down slowly) for every marked process to end. */
async function gone(marker: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (processesWith(marker).length === 0) return true;
    await sleep(100);
  }
  return false;
}

// A command that starts a grandchild and waits forever: both must die.
const FOREVER = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.argv[1]], { stdio: 'ignore' }); console.log('started'); setInterval(() => {}, 1000);`;

for (const sandbox of modes) {
  test(`[${sandbox}] a timeout kills the command and every process it started`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox });
    t.after(() => runner.dispose());
    const marker = `timeout-marker-${process.pid}-${sandbox}-${Date.now()}`;
    const outcome = await runner.run(node(FOREVER, marker), { cwd: workspace(t), timeoutMs: 1500, maxOutputBytes: 10_000 });
    assert.equal(outcome.timedOut, true);
    assert.match(outcome.stdout, /started/);
    assert.ok(await gone(marker), `processes left behind: ${processesWith(marker)}`);
  });

  test(`[${sandbox}] aborting a run kills the command and every process it started`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox });
    t.after(() => runner.dispose());
    const marker = `abort-marker-${process.pid}-${sandbox}-${Date.now()}`;
    const abort = new AbortController();
    const running = runner.run(node(FOREVER, marker), {
      cwd: workspace(t),
      timeoutMs: 60_000,
      maxOutputBytes: 10_000,
      signal: abort.signal,
    });
    for (let i = 0; i < 100 && processesWith(marker).length < 2; i++) await sleep(50);
    abort.abort();
    const outcome = await running;
    assert.equal(outcome.timedOut, false);
    assert.ok(await gone(marker), `processes left behind: ${processesWith(marker)}`);
  });

  test(`[${sandbox}] when the runner's process exits, its commands die with it`, async (t) => {
    const marker = `parent-marker-${process.pid}-${sandbox}-${Date.now()}`;
    const ws = workspace(t);
    const script = join(ws, 'parent.ts');
    const runnerPath = join(import.meta.dirname, '../../../../customer-plane/tools/exec/runner.ts');
    const logPath = join(import.meta.dirname, '../../../../shared/log.ts');
    writeFileSync(
      script,
      `import { createCommandRunner } from ${JSON.stringify(runnerPath)};
import { silentLogger } from ${JSON.stringify(logPath)};
const runner = await createCommandRunner({ log: silentLogger(), sandbox: ${JSON.stringify(sandbox)} });
void runner.run({ pipeline: [['node', '-e', ${JSON.stringify(FOREVER)}, ${JSON.stringify(marker)}]], redirects: [], consequences: [], runsRepositoryCode: true }, { cwd: ${JSON.stringify(ws)}, timeoutMs: 600000, maxOutputBytes: 1000 });
// As shared/service-main.ts does: SIGTERM drains and exits, which runs exit handlers.
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, [script], { stdio: 'ignore' });
    for (let i = 0; i < 200 && commandProcessesWith(marker).length < 2; i++) await sleep(100);
    assert.ok(commandProcessesWith(marker).length >= 2, 'the command and its child should be running');
    // bwrap: the parent is killed outright and --die-with-parent tears the sandbox down. Without a
    // sandbox the parent must get to run its exit handler (SIGTERM through the service's shutdown).
    if (sandbox === 'bwrap') parent.kill('SIGKILL');
    else parent.kill('SIGTERM');
    t.after(() => {
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    });
    assert.ok(await gone(marker), `processes left behind: ${processesWith(marker)}`);
  });

  test(`[${sandbox}] output beyond the cap is dropped and reported, and the command still finishes`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox });
    t.after(() => runner.dispose());
    const outcome = await runner.run(node(`process.stdout.write('x'.repeat(3_000_000)); process.stderr.write('e'.repeat(100))`), {
      cwd: workspace(t),
      timeoutMs: 20_000,
      maxOutputBytes: 1000,
    });
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.truncated, true);
    assert.ok(outcome.stdout.length + outcome.stderr.length <= 1000);
  });

  test(`[${sandbox}] commands see a scrubbed environment: fixed PATH, a private HOME, none of the runner's variables`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox, path: ['/usr/bin', '/bin', join(process.execPath, '..')] });
    t.after(() => runner.dispose());
    process.env.AGENTPLANE_TEST_CANARY = 'canary-value-that-must-not-leak';
    t.after(() => delete process.env.AGENTPLANE_TEST_CANARY);
    const outcome = await runner.run(node('console.log(JSON.stringify(process.env))'), {
      cwd: workspace(t),
      timeoutMs: 20_000,
      maxOutputBytes: 100_000,
      env: { GIVEN_FOR_THIS_RUN: 'yes', PATH: '/evil' },
    });
    const env = JSON.parse(outcome.stdout) as Record<string, string>;
    assert.equal(env.AGENTPLANE_TEST_CANARY, undefined);
    assert.ok(!outcome.stdout.includes('canary-value-that-must-not-leak'));
    assert.equal(env.GIVEN_FOR_THIS_RUN, 'yes');
    assert.equal(env.PATH, ['/usr/bin', '/bin', join(process.execPath, '..')].join(':'));
    assert.notEqual(env.HOME, process.env.HOME);
    assert.equal(env.GIT_CONFIG_NOSYSTEM, '1');
  });
}

test('pipelines, redirects and 2>&1 are wired by the runner: output flows stage to stage and into workspace files', async (t) => {
  const guard = await createCommandGuard();
  const runner = await createCommandRunner({ log: silentLogger() });
  t.after(() => runner.dispose());
  const ws = workspace(t);
  writeFileSync(join(ws, 'words.txt'), 'b\na\nb\nc\nb\n');
  const run = async (command: string) => {
    const v = guard.check(command, codingAgentPolicy);
    assert.ok(v.ok, `${command}: ${v.ok ? '' : v.detail}`);
    return runner.run(v.command, { cwd: ws, timeoutMs: 20_000, maxOutputBytes: 100_000 });
  };
  assert.equal((await run('sort words.txt | uniq -c | sort -rn | head -1')).stdout.trim(), '3 b');
  await run('sort -u < words.txt > sorted.txt');
  assert.equal(readFileSync(join(ws, 'sorted.txt'), 'utf8'), 'a\nb\nc\n');
  await run('echo more >> sorted.txt');
  assert.equal(readFileSync(join(ws, 'sorted.txt'), 'utf8'), 'a\nb\nc\nmore\n');
  const merged = await run('ls missing-file 2>&1 | wc -l');
  assert.equal(merged.stdout.trim(), '1');
  assert.equal(merged.stderr, '');
  const discarded = await run('ls missing-file 2>/dev/null');
  assert.equal(discarded.stderr, '');
  assert.notEqual(discarded.exitCode, 0);
  assert.equal((await run('tsc --noEmit')).exitCode, 127, 'a program on no PATH directory is not found, never searched for elsewhere');
});

test('a redirect cannot be aimed out of the workspace through a planted symlink', async (t) => {
  const runner = await createCommandRunner({ log: silentLogger() });
  t.after(() => runner.dispose());
  const ws = workspace(t);
  const outside = mkdtempSync(join(tmpdir(), 'runner-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'target.txt'), 'original\n');
  symlinkSync(join(outside, 'target.txt'), join(ws, 'out.txt'));
  symlinkSync(outside, join(ws, 'linkdir'));
  const echo = (path: string): ResolvedCommand => ({
    pipeline: [['echo', 'overwritten']],
    redirects: [{ fd: 1, path, append: false }],
    consequences: [],
    runsRepositoryCode: false,
  });
  const outcome = await runner.run(echo('out.txt'), { cwd: ws, timeoutMs: 10_000, maxOutputBytes: 1000 });
  assert.notEqual(outcome.exitCode, 0);
  await assert.rejects(runner.run(echo('linkdir/new.txt'), { cwd: ws, timeoutMs: 10_000, maxOutputBytes: 1000 }), PathRejectedError);
  assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'original\n');
  assert.equal(existsSync(join(outside, 'new.txt')), false);
});

test('git status in a repository whose .git/config names a hostile fsmonitor, hooks and pager runs none of them', async (t) => {
  const guard = await createCommandGuard();
  const runner = await createCommandRunner({ log: silentLogger() });
  t.after(() => runner.dispose());
  const ws = workspace(t);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ws, env: { PATH: process.env.PATH, HOME: ws, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '-q');
  git('-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '--allow-empty', '-m', 'base');
  writeFileSync(join(ws, 'evil.sh'), `#!/bin/sh\necho "$0 $*" >> "${join(ws, 'pwned.txt')}"\n`, { mode: 0o755 });
  mkdirSync(join(ws, 'hooks'));
  writeFileSync(join(ws, 'hooks', 'post-index-change'), `#!/bin/sh\necho hook >> "${join(ws, 'pwned.txt')}"\n`, { mode: 0o755 });
  const config = readFileSync(join(ws, '.git/config'), 'utf8');
  writeFileSync(
    join(ws, '.git/config'),
    `${config}[core]\n\tfsmonitor = ${join(ws, 'evil.sh')}\n\thooksPath = ${join(ws, 'hooks')}\n\tpager = ${join(ws, 'evil.sh')}\n`,
  );
  // The fixture is really hostile: plain git runs the fsmonitor.
  git('status', '--short');
  assert.ok(existsSync(join(ws, 'pwned.txt')), 'the fixture should trigger the fsmonitor under plain git');
  rmSync(join(ws, 'pwned.txt'));

  for (const command of ['git status', 'git status --short', 'git log --oneline', 'git diff', 'git add -A', 'git commit -m x']) {
    const v = guard.check(command, codingAgentPolicy);
    assert.ok(v.ok, command);
    const outcome = await runner.run(v.command, { cwd: ws, timeoutMs: 20_000, maxOutputBytes: 100_000 });
    assert.ok(outcome.exitCode === 0 || command === 'git commit -m x', `${command}: ${outcome.stderr}`);
  }
  assert.equal(existsSync(join(ws, 'pwned.txt')), false, 'no configured program ran');
});

test('git is not run at all when .git/config defines diff, filter or merge drivers, or .git points elsewhere', async (t) => {
  const guard = await createCommandGuard();
  const runner = await createCommandRunner({ log: silentLogger() });
  t.after(() => runner.dispose());
  const ws = workspace(t);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ws, env: { PATH: process.env.PATH, HOME: ws, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '-q');
  writeFileSync(join(ws, 'a.txt'), 'one\n');
  writeFileSync(join(ws, '.gitattributes'), '* diff=evil filter=evil\n');
  git('-c', 'user.name=t', '-c', 'user.email=t@e', 'add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'base');
  writeFileSync(join(ws, 'a.txt'), 'two\n');
  writeFileSync(join(ws, 'evil.sh'), `#!/bin/sh\necho "$0" >> "${join(ws, 'pwned.txt')}"\ncat "$1" 2>/dev/null\n`, { mode: 0o755 });
  const config = readFileSync(join(ws, '.git/config'), 'utf8');
  writeFileSync(
    join(ws, '.git/config'),
    `${config}[diff "evil"]\n\ttextconv = ${join(ws, 'evil.sh')}\n[filter "evil"]\n\tclean = ${join(ws, 'evil.sh')}\n`,
  );
  git('diff');
  assert.ok(existsSync(join(ws, 'pwned.txt')), 'the fixture should run its textconv driver under plain git');
  rmSync(join(ws, 'pwned.txt'));

  const v = guard.check('git diff', codingAgentPolicy);
  assert.ok(v.ok);
  const outcome = await runner.run(v.command, { cwd: ws, timeoutMs: 20_000, maxOutputBytes: 100_000 });
  assert.equal(outcome.exitCode, 126);
  assert.match(outcome.stderr, /diff\.evil\.textconv/);
  assert.equal(existsSync(join(ws, 'pwned.txt')), false);

  rmSync(join(ws, '.git'), { recursive: true });
  writeFileSync(join(ws, '.git'), `gitdir: ${join(tmpdir(), 'elsewhere')}\n`);
  const redirected = await runner.run(v.command, { cwd: ws, timeoutMs: 20_000, maxOutputBytes: 100_000 });
  assert.equal(redirected.exitCode, 126);
});
