import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkspace, PathRejectedError } from '../../../../customer-plane/workspace/workspace.ts';

/** A repository with a source file, VCS metadata and a symlink pointing out of it; removed when the test ends. */
function repositoryWithEscapes(t: TestContext) {
  const base = mkdtempSync(join(tmpdir(), 'ws-test-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const repo = join(base, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  mkdirSync(join(repo, '.git'));
  writeFileSync(join(repo, 'src/a.ts'), 'export const a = 1;\n');
  writeFileSync(join(repo, '.git/config'), 'secret-ish');
  writeFileSync(join(base, 'outside.txt'), 'outside');
  symlinkSync(join(base, 'outside.txt'), join(repo, 'link-out'));
  const parent = join(base, 'workspaces');
  mkdirSync(parent);
  return { base, repo, parent };
}

test('the workspace is a copy: reading works inside it and it is gone after destroy', async (t) => {
  const f = repositoryWithEscapes(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent });
  assert.deepEqual(await ws.listFiles(), ['src/a.ts']);
  assert.equal(await ws.readFile('src/a.ts'), 'export const a = 1;\n');
  await ws.destroy();
  assert.equal(existsSync(ws.root), false);
});

test('paths that leave the workspace are rejected: .., absolute, and symlinks pointing out', async (t) => {
  const f = repositoryWithEscapes(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent });
  for (const bad of ['../outside.txt', '/etc/passwd', 'src/../../outside.txt', 'link-out', '']) {
    await assert.rejects(ws.readFile(bad), PathRejectedError, `rejects ${JSON.stringify(bad)}`);
  }
  await ws.destroy();
});

test('VCS metadata is not copied into the workspace', async (t) => {
  const f = repositoryWithEscapes(t);
  const ws = await createWorkspace({ sourceDir: f.repo, parentDir: f.parent });
  assert.equal(existsSync(join(ws.root, '.git')), false);
  await ws.destroy();
});
