import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTwoFilesPatch } from 'diff';
import { patchApplier } from '../../../../agents/catalog/patch-applier.ts';
import type { AgentOutput } from '../../../../agents/types.ts';
import type { RecordedCall } from '../../../../bench/support/gated-toolbox.ts';
import type { Workspace } from '../../../../customer-plane/workspace/workspace.ts';
import { gatedFixtures, runOnFixture } from '../../../support/agents.ts';

/** A workspace of a small repository; patches go through the real gate to `git apply`. */
async function workspaceOf(t: { after(fn: () => void | Promise<void>): void }, files: Record<string, string>): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-patch-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const ws = await (await gatedFixtures()).workspace(dir);
  t.after(async () => {
    await ws.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return ws;
}
const read = (ws: Workspace, path: string) => readFileSync(join(ws.root, path), 'utf8');
const applyCalls = (calls: RecordedCall[]) => calls.filter((c) => c.tool === 'apply_patch').map((c) => (c.input as { diff: string }).diff);

const patchOf = (path: string, before: string, after: string) => createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after);
const output = (patches: AgentOutput['patches']): AgentOutput => ({ summary: '', findings: [], patches });

test('patches proposed by several steps are applied in order through the gate; an identical patch is applied once', async (t) => {
  const ws = await workspaceOf(t, { 'src/a.js': 'const a = 1;\n', 'src/b.js': 'const b = 1;\n' });
  const calls: RecordedCall[] = [];
  const fixA = patchOf('src/a.js', 'const a = 1;\n', 'const a = 2;\n');
  const fixB = patchOf('src/b.js', 'const b = 1;\n', 'const b = 2;\n');
  const out = await (await gatedFixtures()).runIn(patchApplier, ws, {
    calls,
    inputs: {
      fix: output([
        { title: 'a', diff: fixA },
        { title: 'b', diff: fixB },
      ]),
      review: output([{ title: 'a again', diff: fixA }]),
    },
  });
  assert.deepEqual([read(ws, 'src/a.js'), read(ws, 'src/b.js')], ['const a = 2;\n', 'const b = 2;\n']);
  assert.equal(applyCalls(calls).length, 2);
  assert.equal(out.summary, '2 of 2 patches applied: no findings');
  assert.deepEqual(
    (out.data as { applied: Array<{ from: string; files: string[] }> }).applied.map((a) => [a.from, a.files]),
    [
      ['fix', ['src/a.js']],
      ['fix', ['src/b.js']],
    ],
  );
});

test('a malformed patch and one whose path leaves the workspace are reported and never sent; the others still apply', async (t) => {
  const ws = await workspaceOf(t, { 'src/a.js': 'const a = 1;\n' });
  const calls: RecordedCall[] = [];
  const escaping = patchOf('../../etc/passwd', 'root:x:0:0\n', 'root::0:0\n');
  const good = patchOf('src/a.js', 'const a = 1;\n', 'const a = 3;\n');
  const out = await (await gatedFixtures()).runIn(patchApplier, ws, {
    calls,
    inputs: {
      fix: output([
        { title: 'not a diff', diff: 'please change a to 3' },
        { title: 'escape', diff: escaping },
        { title: 'good', diff: good },
      ]),
    },
  });
  assert.deepEqual(applyCalls(calls), [good]);
  assert.equal(read(ws, 'src/a.js'), 'const a = 3;\n');
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['patch/malformed', 'patch/malformed'],
  );
  assert.ok(out.findings.some((f) => f.message.includes('leaves the workspace')));
});

test('a patch that no longer applies, and one the gate refuses (a deletion asks a person; nobody approves), are findings with the reason; the step does not fail', async (t) => {
  const ws = await workspaceOf(t, { 'src/a.js': 'const a = 1;\n', 'src/b.js': 'const b = 1;\n' });
  const stale = patchOf('src/a.js', 'const a = 0;\n', 'const a = 5;\n');
  const deletion =
    'diff --git a/src/b.js b/src/b.js\ndeleted file mode 100644\n--- a/src/b.js\n+++ /dev/null\n@@ -1 +0,0 @@\n-const b = 1;\n';
  const out = await (await gatedFixtures()).runIn(patchApplier, ws, {
    inputs: {
      fix: output([
        { title: 'stale', diff: stale },
        { title: 'drop b', diff: deletion },
      ]),
    },
  });
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.file]),
    [
      ['patch/not-applied', 'src/a.js'],
      ['patch/not-applied', 'src/b.js'],
    ],
  );
  assert.match(out.findings[0]!.message, /does not apply to the workspace \(failed\)/);
  assert.match(out.findings[1]!.message, /the gate answered ask \(approval_rejected\)/);
  assert.deepEqual([read(ws, 'src/a.js'), read(ws, 'src/b.js')], ['const a = 1;\n', 'const b = 1;\n'], 'nothing changed');
});

test('with nothing proposed there is nothing to apply', async () => {
  const out = await runOnFixture(patchApplier, 'clean-lib', { inputs: { fix: output([]) } });
  assert.equal(out.summary, 'no patches to apply');
});
