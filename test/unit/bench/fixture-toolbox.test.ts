import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFixtureToolbox } from '../../../bench/support/fixture-toolbox.ts';

function tree(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'ap-toolbox-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'repo/src'), { recursive: true });
  mkdirSync(join(root, 'repo/.git'));
  writeFileSync(join(root, 'repo/src/a.js'), 'one\ntwo\nthree\n');
  writeFileSync(join(root, 'repo/.git/config'), '[core]\n');
  writeFileSync(join(root, 'secret.txt'), 'outside\n');
  symlinkSync(join(root, 'secret.txt'), join(root, 'repo/src/link.txt'));
  return join(root, 'repo');
}

test('the read-only toolbox lists, reads and searches inside its directory, in the formats of agents/tools.ts', async (t) => {
  const tools = createFixtureToolbox(tree(t), ['list_files', 'read_file', 'search']);
  // .git and symlinks are not listed.
  assert.deepEqual(await tools.call('list_files', {}), { ok: true, output: 'src/a.js', truncated: false });
  assert.deepEqual(await tools.call('read_file', { path: 'src/a.js', startLine: 2, endLine: 2 }), { ok: true, output: 'two' });
  assert.deepEqual(await tools.call('search', { pattern: 'thr' }), { ok: true, output: 'src/a.js:3:three' });
});

test('paths out of the directory are refused: .., absolute, and a symlink that points out', async (t) => {
  const tools = createFixtureToolbox(tree(t), ['read_file']);
  for (const path of ['../secret.txt', '/etc/passwd', 'src/link.txt']) {
    const res = await tools.call('read_file', { path });
    assert.equal(res.ok, false, path);
    assert.equal(!res.ok && res.reason, 'path_outside_workspace', path);
  }
});

test("tools outside the agent's list, commands, git and writes are denied with tool_not_allowed", async (t) => {
  const root = tree(t);
  const readOnly = createFixtureToolbox(root, ['list_files']);
  assert.equal((await readOnly.call('read_file', { path: 'src/a.js' })).ok, false);
  const all = createFixtureToolbox(root, ['run_command', 'git', 'write_file', 'apply_patch']);
  for (const [tool, input] of [
    ['run_command', { command: 'ls' }],
    ['git', { args: ['status'] }],
    ['write_file', { path: 'x', content: 'y' }],
    ['apply_patch', { diff: 'x' }],
  ] as const) {
    const res = await all.call(tool, input as never);
    assert.deepEqual(res.ok ? 'ok' : [res.decision, res.reason], ['deny', 'tool_not_allowed'], tool);
  }
});

test('input that breaks the tool schema is refused as invalid_arguments', async (t) => {
  const tools = createFixtureToolbox(tree(t), ['read_file']);
  const res = await tools.call('read_file', { path: '' });
  assert.equal(!res.ok && res.reason, 'invalid_arguments');
});
