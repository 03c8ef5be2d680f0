import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadCodeFinder } from '../../../../agents/catalog/dead-code-finder.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { scoreOnFixture } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`dead-code-finder reports the planted dead code in ${repo} and keeps entry points, re-exports and used code`, async () => {
    const s = await scoreOnFixture(deadCodeFinder, repo);
    assert.deepEqual(s.missed, [], 'planted dead code not reported');
    assert.deepEqual(s.cleanFlagged, [], 'live code reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}
