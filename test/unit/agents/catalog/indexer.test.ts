import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type IndexData, indexer } from '../../../../agents/catalog/indexer.ts';
import { loadExpected, scoreSymbols } from '../../../../bench/support/score.ts';
import type { ToolBox } from '../../../../agents/types.ts';
import { REPOS, runOnFixture } from '../../../support/agents.ts';
import { denied, overrideTools } from '../../../support/toolboxes.ts';

for (const repo of ['node-shop', 'py-service']) {
  test(`indexer lists exactly the declared symbols of the expected files of ${repo}, with kind and line`, async () => {
    const data = (await runOnFixture(indexer, repo)).data as IndexData;
    const s = scoreSymbols(data.symbols, loadExpected(join(REPOS, repo)));
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
  });
}

test('indexer counts files and lines per language, and marks exports and methods', async () => {
  const data = (await runOnFixture(indexer, 'node-shop')).data as IndexData;
  assert.equal(data.files.find((f) => f.path === 'src/cart.js')?.lines, 11);
  assert.equal(data.languages.tsx.files, 1);
  assert.equal(data.languages.typescript.files, 1);
  assert.ok(data.languages.javascript.files >= 9);
  assert.equal(data.symbols.find((s) => s.name === 'applyDiscount')?.exported, true);
  assert.equal(data.symbols.find((s) => s.name === 'unusedHelper')?.exported, false);
  const py = (await runOnFixture(indexer, 'py-service')).data as IndexData;
  assert.equal(py.symbols.find((s) => s.name === '__init__')?.container, 'OldCache');
});

test('a file the gate refuses is listed as skipped, not silently left out', async () => {
  const out = await runOnFixture(indexer, 'node-shop', {
    tools: (gated) =>
      overrideTools(gated, {
        read_file: (input: { path: string }) => (input.path === '.env' ? denied('path_invalid') : gated.call('read_file', input)),
      }),
  });
  assert.deepEqual((out.data as IndexData).skipped, ['.env']);
  assert.match(out.summary, /1 skipped/);
});

test('a refused listing fails the step with the tool_denied code', async () => {
  const tools = (gated: ToolBox) => overrideTools(gated, { list_files: () => denied('tool_not_allowed') });
  await assert.rejects(runOnFixture(indexer, 'node-shop', { tools }), (err: { code?: string }) => err.code === 'tool_denied');
});
