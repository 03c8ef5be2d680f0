import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPatch, createTwoFilesPatch, parsePatch } from 'diff';
import { patchApplier } from '../../../../agents/catalog/patch-applier.ts';
import type { AgentOutput, ToolBox } from '../../../../agents/types.ts';
import { runOnFixture } from '../../../support/agents.ts';
import { denied, ok } from '../../../support/toolboxes.ts';

/** Files in memory; apply_patch applies a unified diff the way a careful executor would (all files or none). */
function memoryWorkspace(files: Record<string, string>, calls: string[] = []): ToolBox {
  return {
    async call(tool, input) {
      if (tool !== 'apply_patch') return denied('tool_not_allowed');
      const diff = (input as { diff: string }).diff;
      calls.push(diff);
      const next = { ...files };
      for (const p of parsePatch(diff)) {
        const path = (p.newFileName ?? '').replace(/^b\//, '');
        const result = applyPatch(next[path] ?? '', p);
        if (result === false)
          return { ok: false, decision: 'deny', reason: 'invalid_arguments', message: `the patch does not apply to ${path}` };
        next[path] = result;
      }
      Object.assign(files, next);
      return ok('applied');
    },
  };
}

const patchOf = (path: string, before: string, after: string) => createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after);
const output = (patches: AgentOutput['patches']): AgentOutput => ({ summary: '', findings: [], patches });

test('patches proposed by several steps are applied in order; an identical patch is applied once', async () => {
  const files: Record<string, string> = { 'src/a.js': 'const a = 1;\n', 'src/b.js': 'const b = 1;\n' };
  const calls: string[] = [];
  const fixA = patchOf('src/a.js', files['src/a.js'], 'const a = 2;\n');
  const fixB = patchOf('src/b.js', files['src/b.js'], 'const b = 2;\n');
  const out = await runOnFixture(patchApplier, 'clean-lib', {
    tools: memoryWorkspace(files, calls),
    inputs: {
      fix: output([
        { title: 'a', diff: fixA },
        { title: 'b', diff: fixB },
      ]),
      review: output([{ title: 'a again', diff: fixA }]),
    },
  });
  assert.deepEqual(files, { 'src/a.js': 'const a = 2;\n', 'src/b.js': 'const b = 2;\n' });
  assert.equal(calls.length, 2);
  assert.equal(out.summary, '2 of 2 patches applied: no findings');
  assert.deepEqual(
    (out.data as { applied: Array<{ from: string; files: string[] }> }).applied.map((a) => [a.from, a.files]),
    [
      ['fix', ['src/a.js']],
      ['fix', ['src/b.js']],
    ],
  );
});

test('a malformed patch and one whose path leaves the workspace are reported and never sent; the others still apply', async () => {
  const files: Record<string, string> = { 'src/a.js': 'const a = 1;\n' };
  const calls: string[] = [];
  const escaping = patchOf('../../etc/passwd', 'root:x:0:0\n', 'root::0:0\n');
  const good = patchOf('src/a.js', files['src/a.js'], 'const a = 3;\n');
  const out = await runOnFixture(patchApplier, 'clean-lib', {
    tools: memoryWorkspace(files, calls),
    inputs: {
      fix: output([
        { title: 'not a diff', diff: 'please change a to 3' },
        { title: 'escape', diff: escaping },
        { title: 'good', diff: good },
      ]),
    },
  });
  assert.deepEqual(calls, [good]);
  assert.equal(files['src/a.js'], 'const a = 3;\n');
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['patch/malformed', 'patch/malformed'],
  );
  assert.ok(out.findings.some((f) => f.message.includes('leaves the workspace')));
});

test("a patch the gate refuses (or that no longer applies) is a finding with the gate's reason; the step does not fail", async () => {
  const files: Record<string, string> = { 'src/a.js': 'const a = 1;\n' };
  const stale = patchOf('src/a.js', 'const a = 0;\n', 'const a = 5;\n');
  const out = await runOnFixture(patchApplier, 'clean-lib', {
    tools: memoryWorkspace(files),
    inputs: { fix: output([{ title: 'stale', diff: stale }]) },
  });
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.file]),
    [['patch/not-applied', 'src/a.js']],
  );
  assert.match(out.findings[0].message, /deny \(invalid_arguments\)/);
  const refused = await runOnFixture(patchApplier, 'clean-lib', {
    inputs: { fix: output([{ title: 'x', diff: patchOf('src/a.js', 'a\n', 'b\n') }]) },
  });
  assert.match(refused.findings[0].message, /tool_not_allowed/);
});

test('with nothing proposed there is nothing to apply', async () => {
  const out = await runOnFixture(patchApplier, 'clean-lib', { inputs: { fix: output([]) } });
  assert.equal(out.summary, 'no patches to apply');
});
