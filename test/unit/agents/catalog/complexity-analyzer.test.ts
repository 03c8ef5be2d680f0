import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complexityAnalyzer } from '../../../../agents/catalog/complexity-analyzer.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { runOnFixture, scoreOnFixture } from '../../../support/agents.ts';
import { ok, overrideTools } from '../../../support/toolboxes.ts';

type Data = {
  functions: number;
  churnAvailable: boolean;
  hotspots: Array<{ file: string; name: string; complexity: number; nesting: number; churn?: number }>;
};

for (const repo of FIXTURE_REPOS) {
  test(`complexity-analyzer reports the planted complex functions in ${repo} and not the long simple ones`, async () => {
    const s = await scoreOnFixture(complexityAnalyzer, repo);
    assert.deepEqual(s.missed, [], 'planted problems not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

test('cyclomatic complexity counts branches, loops, catches, ternaries and short-circuits; nesting counts else-if as one level', async () => {
  const js = (await runOnFixture(complexityAnalyzer, 'node-shop')).data as Data;
  const shipping = js.hotspots.find((h) => h.name === 'shippingCost')!;
  assert.deepEqual([shipping.complexity, shipping.nesting], [17, 7]);
  // Eight `??` defaults: each is a path, and the function stays under the limit.
  assert.equal(js.hotspots.find((h) => h.name === 'formatAddress')?.complexity, 9);
  const py = (await runOnFixture(complexityAnalyzer, 'py-service')).data as Data;
  assert.equal(py.hotspots.find((h) => h.name === 'shipping_cost')?.complexity, 15);
});

test('the limits come from the run parameters', async () => {
  const out = await runOnFixture(complexityAnalyzer, 'clean-lib', { params: { maxComplexity: '9' } });
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.file, f.line]),
    [['complexity/cyclomatic', 'src/retry.js', 2]],
  );
});

test('without git history (a workspace is one baseline commit) hotspots rank by complexity; with it, by complexity times commits touching the file', async () => {
  const plain = (await runOnFixture(complexityAnalyzer, 'node-shop')).data as Data;
  assert.equal(plain.churnAvailable, false, 'the baseline commit alone is no history');
  assert.equal(plain.hotspots[0].name, 'shippingCost');
  const log = [...Array(20).fill('src/admin.ts'), 'src/pricing.js'].join('\n\n');
  const withGit = (await runOnFixture(complexityAnalyzer, 'node-shop', { tools: (gated) => overrideTools(gated, { git: () => ok(log) }) }))
    .data as Data;
  assert.equal(withGit.churnAvailable, true);
  assert.equal(withGit.hotspots[0].file, 'src/admin.ts');
  assert.equal(withGit.hotspots[0].churn, 20);
});
