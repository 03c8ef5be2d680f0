import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { createWorkspace, PathRejectedError } from '../../../../customer-plane/workspace/workspace.ts';

function fixture(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'ws-test-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const repo = join(base, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  mkdirSync(join(repo, '.git'));
  writeFileSync(join(repo, 'src/a.ts'), 'export const a = 1;\n');
  writeFileSync(join(repo, '.git/config'), '[remote "origin"]\n  url = https://customer.example/secret-history.git\n');
  writeFileSync(join(base, 'outside.txt'), 'outside');
  symlinkSync(join(base, 'outside.txt'), join(repo, 'link-out'));
  symlinkSync(base, join(repo, 'dir-out'));
  symlinkSync(join(base, 'does-not-exist-yet'), join(repo, 'dangling-out'));
  symlinkSync('src/a.ts', join(repo, 'link-in'));
  const parent = join(base, 'workspaces');
  mkdirSync(parent);
  return { base, repo, parent };
}

test('the workspace is a copy whose .git is a fresh repository with one baseline commit and none of the customer history', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000001' });
  assert.deepEqual((await ws.listFiles()).files, ['src/a.ts']);
  const git = (args: string[]) =>
    execFileSync('git', ['-C', ws.root, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' },
    });
  assert.equal(git(['rev-list', '--count', 'HEAD']).trim(), '1', 'one commit: the baseline');
  assert.equal(git(['status', '--porcelain']).trim(), '', 'the baseline commit holds the copy');
  assert.ok(!readFileSync(join(ws.root, '.git/config'), 'utf8').includes('customer.example'), 'the customer .git was not copied');
  await ws.destroy();
  assert.equal(existsSync(ws.root), false, 'gone after destroy');
});

test('the path check refuses .., absolute paths, NUL and control characters, symlinks out (also dangling and via directories), .git, and a sibling folder that shares the workspace name as a prefix', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000002' });
  // A sibling of the tree whose name starts with the tree's name: a naive prefix check would let it through.
  mkdirSync(`${ws.root}-sibling`);
  writeFileSync(`${ws.root}-sibling/secret.txt`, 'sibling');
  const cases: Array<[string, string]> = [
    ['../outside.txt', 'path_outside_workspace'],
    ['src/../../outside.txt', 'path_outside_workspace'],
    [`../${ws.root.split('/').pop()}-sibling/secret.txt`, 'path_outside_workspace'],
    ['/etc/passwd', 'path_invalid'],
    [`${ws.root}/src/a.ts`, 'path_invalid'],
    ['src/a\0.ts', 'path_invalid'],
    ['src/a\n.ts', 'path_invalid'],
    ['', 'path_invalid'],
    ['link-out', 'path_symlink_escape'],
    ['dir-out/outside.txt', 'path_symlink_escape'],
    ['dangling-out', 'path_symlink_escape'],
    ['.git/config', 'path_outside_workspace'],
    ['src/../.git/hooks/pre-commit', 'path_outside_workspace'],
    ['.GIT/config', 'path_outside_workspace'],
  ];
  for (const [rel, reason] of cases) {
    const r = await ws.check(rel);
    assert.equal(r.ok, false, `refuses ${JSON.stringify(rel)}`);
    assert.equal(!r.ok && r.reason, reason, `${JSON.stringify(rel)} → ${reason}`);
  }
  const inside = await ws.check('link-in');
  assert.ok(inside.ok && inside.abs === join(ws.root, 'src/a.ts'), 'a symlink that stays inside resolves to its target');
  const fresh = await ws.check('new/dir/file.ts');
  assert.ok(fresh.ok && fresh.abs === join(ws.root, 'new/dir/file.ts'), 'a path that does not exist yet is fine');
  await ws.destroy();
});

test('snapshots, diffs, restore and re-applying a diff give back the same tree (how a resumed run rebuilds its workspace)', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000003' });
  const before = await ws.snapshot();
  assert.equal(before, ws.baselineTree);
  writeFileSync(join(ws.root, 'src/a.ts'), 'export const a = 2;\n');
  writeFileSync(join(ws.root, 'new.bin'), Buffer.from([0, 1, 2, 3, 255]));
  const after = await ws.snapshot();
  const diff = await ws.diff(before, after);
  assert.match(diff, /GIT binary patch/);
  await ws.restore(before);
  assert.equal(readFileSync(join(ws.root, 'src/a.ts'), 'utf8'), 'export const a = 1;\n');
  assert.equal(existsSync(join(ws.root, 'new.bin')), false);
  await ws.applyDiff(diff);
  assert.equal(await ws.snapshot(), after);
  // Another host, same repository: the same baseline id, and the diff applies to it.
  const other = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000004' });
  assert.equal(other.baselineTree, ws.baselineTree);
  await other.applyDiff(diff);
  assert.equal(await other.snapshot(), after);
  await ws.destroy();
  await other.destroy();
});

test('the path check takes a non-empty string of at most 1024 characters, and refuses anything else as invalid', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000005' });
  t.after(() => ws.destroy());
  for (const rel of [null, undefined, 42, { path: 'src/a.ts' }, ['src/a.ts'], '', `${'a/'.repeat(512)}b`]) {
    const r = await ws.check(rel);
    assert.equal(!r.ok && r.reason, 'path_invalid', JSON.stringify(rel)?.slice(0, 40));
    assert.match(!r.ok ? r.message : '', /non-empty string of at most 1024 characters/);
  }
  const longest = `${'d/'.repeat(511)}xy`;
  assert.equal(longest.length, 1024);
  const r = await ws.check(longest);
  assert.ok(r.ok && r.abs === join(ws.root, longest), 'a path of exactly 1024 characters is fine');
});

test('control characters and DEL are refused; spaces and other scripts are ordinary file names', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000006' });
  t.after(() => ws.destroy());
  for (const rel of ['src/a\x1f.ts', 'src/a\x7f.ts', '\x1b[2Jsrc/a.ts', 'src/a\r.ts']) {
    const r = await ws.check(rel);
    assert.equal(!r.ok && r.reason, 'path_invalid', JSON.stringify(rel));
    assert.match(!r.ok ? r.message : '', /NUL byte or a control character/);
  }
  for (const rel of ['src/my file.ts', 'src/übersicht ✓.md', 'src/~a!.ts']) {
    const r = await ws.check(rel);
    assert.ok(r.ok && r.abs === join(ws.root, rel), JSON.stringify(rel));
  }
});

test('a chain of links is followed to where a write would land: a link to a dangling link through a link out is refused, a chain inside resolves, a loop ends', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000011' });
  t.after(() => ws.destroy());
  const outside = join(f.base, 'outside-dir');
  mkdirSync(outside);
  // l2 points out; d's own text (l2/new-file) is inside, but writing to d creates outside-dir/new-file.
  symlinkSync(outside, join(ws.root, 'l2'));
  symlinkSync('l2/new-file', join(ws.root, 'd'));
  symlinkSync('d', join(ws.root, 'e'));
  symlinkSync('src', join(ws.root, 'in1'));
  symlinkSync('in1/later.ts', join(ws.root, 'in2'));
  symlinkSync('loop-b', join(ws.root, 'loop-a'));
  symlinkSync('loop-a', join(ws.root, 'loop-b'));
  for (const rel of ['d', 'e', 'd/x']) {
    const r = await ws.check(rel);
    assert.equal(!r.ok && r.reason, 'path_symlink_escape', rel);
  }
  const chain = await ws.check('in2');
  assert.ok(chain.ok && chain.abs === join(ws.root, 'src/later.ts'), 'a chain of links that stays inside resolves to its end');
  const loop = await ws.check('loop-a/x');
  assert.equal(!loop.ok && loop.reason, 'path_invalid');
  assert.match(!loop.ok ? loop.message : '', /more than 40 symlinks/);
  // As the kernel does (ELOOP after 40): a chain of 40 links is followed, one more is refused.
  symlinkSync('src/later.ts', join(ws.root, 'c40'));
  for (let k = 39; k >= 0; k--) symlinkSync(`c${k + 1}`, join(ws.root, `c${k}`));
  const forty = await ws.check('c1');
  assert.ok(forty.ok && forty.abs === join(ws.root, 'src/later.ts'), 'forty links are followed');
  const fortyOne = await ws.check('c0');
  assert.equal(!fortyOne.ok && fortyOne.reason, 'path_invalid', 'forty-one links are refused');
});

test('the path check names the workspace itself as ".", resolves links that stay inside, and tells each refusal apart', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000007' });
  t.after(() => ws.destroy());
  symlinkSync('.', join(ws.root, 'self'));
  symlinkSync('not-yet.txt', join(ws.root, 'future'));
  symlinkSync('.git/hooks', join(ws.root, 'hooks'));
  symlinkSync('.GIT', join(ws.root, 'vcs'));
  const root = await ws.check('.');
  assert.ok(root.ok && root.abs === ws.root && root.rel === '.');
  const self = await ws.check('self/src/a.ts');
  assert.ok(self.ok && self.abs === join(ws.root, 'src/a.ts'), 'a link to the workspace itself is followed');
  const future = await ws.check('future');
  assert.ok(future.ok && future.abs === join(ws.root, 'not-yet.txt'), 'a dangling link inside is judged by its target');
  const cases: Array<[string, string, RegExp]> = [
    ['hooks/pre-commit', 'path_symlink_escape', /points into \.git/],
    ['vcs/config', 'path_symlink_escape', /points into \.git/],
    ['link-out', 'path_symlink_escape', /points outside the workspace/],
    ['src/a.ts/inner', 'path_invalid', /cannot be resolved \(ENOTDIR\)/],
    ['../outside.txt', 'path_outside_workspace', /leaves the workspace/],
    ['.git/config', 'path_outside_workspace', /\.git is the run’s version control/],
    ['/etc/passwd', 'path_invalid', /workspace-relative path/],
  ];
  for (const [rel, reason, message] of cases) {
    const r = await ws.check(rel);
    assert.equal(!r.ok && r.reason, reason, rel);
    assert.match(!r.ok ? r.message : '', message, rel);
  }
});

test('the copy leaves out every VCS folder and Python environment; installed dependencies are copied but neither listed nor snapshotted', async (t) => {
  const f = fixture(t);
  for (const dir of ['.hg', '.svn', '.venv', 'venv', '.tox', 'node_modules/pkg', 'src/__pycache__']) {
    mkdirSync(join(f.repo, dir), { recursive: true });
    writeFileSync(join(f.repo, dir, 'file'), dir);
  }
  // A leftover of an earlier attempt of this run on this host.
  mkdirSync(join(f.parent, '01JTESTRUN0000000000000008', 'tree'), { recursive: true });
  writeFileSync(join(f.parent, '01JTESTRUN0000000000000008', 'tree', 'stale.txt'), 'stale');
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000008' });
  t.after(() => ws.destroy());
  for (const dir of ['.hg', '.svn', '.venv', 'venv', '.tox']) assert.equal(existsSync(join(ws.root, dir)), false, `${dir} is not copied`);
  assert.equal(existsSync(join(ws.root, 'stale.txt')), false, 'the leftover is removed first');
  assert.equal(
    readFileSync(join(ws.root, 'node_modules/pkg/file'), 'utf8'),
    'node_modules/pkg',
    'dependencies are there to run tests with',
  );
  assert.deepEqual((await ws.listFiles()).files, ['src/a.ts']);
  writeFileSync(join(ws.root, 'src/__pycache__/a.pyc'), 'compiled');
  writeFileSync(join(ws.root, 'node_modules/pkg/cache'), 'cache');
  assert.equal(await ws.snapshot(), ws.baselineTree, 'a test run’s caches are not a change');
  const status = execFileSync('git', ['-C', ws.root, 'status', '--porcelain'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' },
  });
  assert.equal(status.trim(), '', 'nor in the visible repository');
});

test('listFiles lists a folder through the path check, in name order, and says when it stopped at maxFiles', async (t) => {
  const f = fixture(t);
  for (const name of ['b.ts', 'a.ts', 'c/d.ts']) {
    mkdirSync(join(f.repo, 'lib', name, '..'), { recursive: true });
    writeFileSync(join(f.repo, 'lib', name), name);
  }
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000009' });
  t.after(() => ws.destroy());
  assert.deepEqual(await ws.listFiles({ dir: 'lib' }), { files: ['lib/a.ts', 'lib/b.ts', 'lib/c/d.ts'], truncated: false });
  assert.deepEqual(await ws.listFiles({ dir: 'lib', maxFiles: 2 }), { files: ['lib/a.ts', 'lib/b.ts'], truncated: true });
  assert.deepEqual(await ws.listFiles({ dir: 'lib', maxFiles: 3 }), { files: ['lib/a.ts', 'lib/b.ts', 'lib/c/d.ts'], truncated: false });
  await assert.rejects(ws.listFiles({ dir: 'dir-out' }), (err: unknown) => {
    assert.ok(err instanceof PathRejectedError);
    assert.equal(err.code, 'path_rejected');
    assert.equal(err.reason, 'path_symlink_escape');
    return true;
  });
  assert.deepEqual(await ws.listFiles({ dir: 'missing' }), { files: [], truncated: false });
});

test('no change gives an empty diff, an empty diff applies as nothing, and restore removes new folders too', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000010' });
  t.after(() => ws.destroy());
  assert.equal(await ws.diff(ws.baselineTree, ws.baselineTree), '');
  await ws.applyDiff('');
  await ws.applyDiff('\n  \n');
  assert.equal(await ws.snapshot(), ws.baselineTree);
  mkdirSync(join(ws.root, 'new/deep'), { recursive: true });
  writeFileSync(join(ws.root, 'new/deep/file.ts'), 'x');
  // Never snapshotted: a step that failed halfway leaves untracked folders behind.
  await ws.restore(ws.baselineTree);
  assert.equal(existsSync(join(ws.root, 'new')), false);
});

test('Python environments and tox folders a command creates in the workspace are neither listed nor a change of the run', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000011' });
  t.after(() => ws.destroy());
  // A test run in the workspace makes them (`python -m venv .venv`, tox); they are never copied, so only the excludes keep them out.
  for (const dir of ['.venv/lib', 'venv/bin', '.tox/py312']) {
    mkdirSync(join(ws.root, dir), { recursive: true });
    writeFileSync(join(ws.root, dir, 'made-by-a-command'), dir);
  }
  assert.deepEqual((await ws.listFiles()).files, ['src/a.ts']);
  assert.equal(await ws.snapshot(), ws.baselineTree, 'not a change the run made');
  const status = execFileSync('git', ['-C', ws.root, 'status', '--porcelain', '--untracked-files=all'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' },
  });
  assert.equal(status.trim(), '', 'nor in the visible repository');
});

test('the copy of the customer’s code is readable by the runner’s user only, even where the repository is world-readable', async (t) => {
  const f = fixture(t);
  chmodSync(f.repo, 0o755);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000012' });
  t.after(() => ws.destroy());
  assert.equal(statSync(ws.root).mode & 0o777, 0o700, 'the tree');
  assert.equal(statSync(dirname(ws.root)).mode & 0o777, 0o700, 'the run directory (the runtime’s repository is in it)');
});

test('the runtime’s own repository is outside the tree and holds every snapshot, so a search can read what the run recorded', async (t) => {
  const f = fixture(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000013' });
  t.after(() => ws.destroy());
  writeFileSync(join(ws.root, 'src/b.ts'), 'export const b = 2;\n');
  const tree = await ws.snapshot();
  assert.ok(!ws.privateGitDir.startsWith(ws.root + sep) && ws.privateGitDir !== ws.root, 'no tool can reach it');
  const git = (args: string[]) =>
    execFileSync('git', [`--git-dir=${ws.privateGitDir}`, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' },
    });
  assert.equal(git(['cat-file', '-t', ws.baselineTree]).trim(), 'tree');
  assert.equal(git(['show', `${tree}:src/b.ts`]), 'export const b = 2;\n');
});

test('listFiles returns paths in whole-path order, not the order of the walk', async (t) => {
  const f = fixture(t);
  // The walk meets folder `a` before `a-c.ts`, but as whole paths `a-c.ts` sorts first ('-' < '/').
  mkdirSync(join(f.repo, 'lib/a'), { recursive: true });
  writeFileSync(join(f.repo, 'lib/a/b.ts'), 'b');
  writeFileSync(join(f.repo, 'lib/a-c.ts'), 'c');
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000014' });
  t.after(() => ws.destroy());
  assert.deepEqual((await ws.listFiles({ dir: 'lib' })).files, ['lib/a-c.ts', 'lib/a/b.ts']);
});

test('a listing cut at maxFiles keeps the first names of a folder in the listing’s own order, not the order the file system gave', async (t) => {
  const f = fixture(t);
  // libuv hands entries over sorted by UTF-8 bytes (U+FF5A before U+1F600); JavaScript's order, the
  // listing's, puts the astral name (a surrogate pair, 0xD83D) first.
  mkdirSync(join(f.repo, 'names'));
  for (const name of ['\uFF5A.ts', '\u{1F600}.ts']) writeFileSync(join(f.repo, 'names', name), name);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000015' });
  t.after(() => ws.destroy());
  const all = await ws.listFiles({ dir: 'names' });
  assert.deepEqual(all, { files: ['names/\u{1F600}.ts', 'names/\uFF5A.ts'], truncated: false });
  assert.deepEqual(await ws.listFiles({ dir: 'names', maxFiles: 1 }), { files: all.files.slice(0, 1), truncated: true });
});

test('the .git refusal judges only the path inside the workspace: a workspace kept below a folder named .git follows its own links', async (t) => {
  const f = fixture(t);
  const parentDir = join(f.base, '.git', 'workspaces');
  mkdirSync(parentDir, { recursive: true });
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir, runId: '01JTESTRUN0000000000000016' });
  t.after(() => ws.destroy());
  const inside = await ws.check('link-in');
  assert.ok(inside.ok && inside.abs === join(ws.root, 'src/a.ts'), JSON.stringify(inside));
  symlinkSync('.', join(ws.root, 'self'));
  const viaSelf = await ws.check('self/src/a.ts');
  assert.ok(viaSelf.ok && viaSelf.abs === join(ws.root, 'src/a.ts'), 'a link to the workspace itself');
  const dotGit = await ws.check('.git/config');
  assert.equal(!dotGit.ok && dotGit.reason, 'path_outside_workspace', 'its own .git is still refused');
});

test('a git installed without its template folder still makes a workspace whose caches are not a change of the run', async (t) => {
  const f = fixture(t);
  // A minimal git's `init` makes no info/ folder; the excludes must still be written. GIT_BIN is read
  // when git.ts loads, so the workspace is made in a child process that sees the wrapper from the start.
  const emptyTemplates = join(f.base, 'no-templates');
  mkdirSync(emptyTemplates);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const wrapper = join(f.base, 'git-without-templates');
  writeFileSync(wrapper, `#!/bin/sh\nGIT_TEMPLATE_DIR='${emptyTemplates}' exec '${realGit}' "$@"\n`, { mode: 0o755 });
  const script = `
    const { createWorkspace } = await import(${JSON.stringify(new URL('../../../../customer-plane/workspace/workspace.ts', import.meta.url).href)});
    const { writeFileSync } = await import('node:fs');
    const ws = await createWorkspace({ sourceDir: process.argv[1], parentDir: process.argv[2], runId: '01JTESTRUN0000000000000017' });
    writeFileSync(ws.root + '/src/__pycache__/a.pyc', 'x');
    process.stdout.write(JSON.stringify({ same: (await ws.snapshot()) === ws.baselineTree }));
    await ws.destroy();`;
  mkdirSync(join(f.repo, 'src/__pycache__'));
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, f.repo, f.parent], {
    encoding: 'utf8',
    env: { ...process.env, AGENTPLANE_GIT_BIN: wrapper },
  });
  assert.deepEqual(JSON.parse(out), { same: true });
});

test('a copy that fails part-way leaves nothing of the repository behind: the run’s directory goes with the error', async (t) => {
  const f = fixture(t);
  // A named pipe cannot be copied: cp fails after the files before it (README.md sorts first) were copied.
  writeFileSync(join(f.repo, 'README.md'), '# copied before the failure\n');
  execFileSync('mkfifo', [join(f.repo, 'src/pipe')]);
  await assert.rejects(createWorkspace({ sourceDir: f.repo, parentDir: f.parent, runId: '01JTESTRUN0000000000000012' }));
  assert.deepEqual(readdirSync(f.parent), []);
  await assert.rejects(
    createWorkspace({ sourceDir: join(f.base, 'no-such-repo'), parentDir: f.parent, runId: '01JTESTRUN0000000000000013' }),
  );
  assert.deepEqual(readdirSync(f.parent), []);
});
