import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkspace } from '../../../../customer-plane/workspace/workspace.ts';

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
    [ws.root + '/src/a.ts', 'path_invalid'],
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
