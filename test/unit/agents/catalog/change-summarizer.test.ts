import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTwoFilesPatch } from 'diff';
import { changeSummarizer } from '../../../../agents/catalog/change-summarizer.ts';
import type { AgentOutput } from '../../../../agents/types.ts';
import type { ToolName } from '../../../../shared/boundary.ts';
import { gatedFixtures, REPOS, runOnFixture } from '../../../support/agents.ts';
import { denied, overrideTools } from '../../../support/toolboxes.ts';

type Data = { source: string; files: Array<{ path: string; status: string; added: number; removed: number; symbols: string[] }> };

// A change to applyDiscount whose new text is the fixture file as it is (what the workspace holds after the apply).
const cart = readFileSync(join(REPOS, 'node-shop/src/cart.js'), 'utf8');
const cartFix = createTwoFilesPatch(
  'a/src/cart.js',
  'b/src/cart.js',
  cart.replace('total - total * percent', 'total - total * percent * 2'),
  cart,
);
const applied = (diff: string): AgentOutput => ({
  summary: '',
  findings: [],
  patches: [],
  data: { applied: [{ from: 'fix', title: 't', files: [], diff }] },
});

test('where git is refused, from the applied patches: files, lines added and removed, and the functions the hunks fall in', async () => {
  const out = await runOnFixture(changeSummarizer, 'node-shop', {
    inputs: { apply: applied(cartFix) },
    tools: (gated) => overrideTools(gated, { git: () => denied('tool_not_allowed') }),
  });
  const data = out.data as Data;
  assert.match(data.source, /^input patches \(git: tool_not_allowed\)$/);
  assert.deepEqual(data.files, [{ path: 'src/cart.js', status: 'modified', added: 1, removed: 1, symbols: ['applyDiscount'] }]);
  assert.match(out.summary, /^1 files changed, \+1 −1/);
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['change/no-tests'],
  );
});

test('changes to CI, containers, dependencies or security code are flagged for review first', async () => {
  const ci = createTwoFilesPatch('a/.github/workflows/ci.yml', 'b/.github/workflows/ci.yml', 'name: ci\n', 'name: build\n');
  const deps = createTwoFilesPatch('a/package.json', 'b/package.json', '{}\n', '{ "x": 1 }\n');
  const out = await runOnFixture(changeSummarizer, 'node-shop', {
    inputs: { a: applied(ci), b: { summary: '', findings: [], patches: [{ title: 'deps', diff: deps }] } },
  });
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.file]),
    [
      ['change/sensitive-file', '.github/workflows/ci.yml'],
      ['change/sensitive-file', 'package.json'],
    ],
  );
});

test('where git answers, the workspace diff against the baseline is the source of truth', async (t) => {
  // The workspace as a step after the apply finds it: the fix is in the tree, not in the step's inputs.
  const fixtures = await gatedFixtures();
  const ws = await fixtures.workspace('node-shop');
  t.after(() => ws.destroy());
  writeFileSync(join(ws.root, 'src/cart.js'), cart.replace('total - total * percent', 'total - total * percent / 100'));
  const seen: Array<{ tool: ToolName; input: unknown }> = [];
  const out = await fixtures.runIn(changeSummarizer, ws, { tools: (gated) => overrideTools(gated, {}, seen) });
  const data = out.data as Data;
  assert.equal(data.source, 'git diff');
  assert.deepEqual(data.files, [{ path: 'src/cart.js', status: 'modified', added: 1, removed: 1, symbols: ['applyDiscount'] }]);
  assert.deepEqual(seen.find((c) => c.tool === 'git')?.input, { args: ['diff', '--no-color', '--no-ext-diff', 'HEAD'] });
});

test('no change, no findings', async () => {
  const out = await runOnFixture(changeSummarizer, 'node-shop', { inputs: {} });
  assert.equal(out.summary, 'no changes');
  assert.deepEqual(out.findings, []);
});
