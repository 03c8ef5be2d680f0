import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyLicense } from '../../../../agents/analysis/licenses.ts';
import { licenseChecker } from '../../../../agents/catalog/license-checker.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { runOnFixture, scoreOnFixture } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`license-checker reports every planted license problem in ${repo} and none of its look-alikes`, async () => {
    const s = await scoreOnFixture(licenseChecker, repo);
    assert.deepEqual(s.missed, [], 'planted problems not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

test('SPDX expressions: OR offers the best choice, AND needs the worst, anything unparseable is unknown', () => {
  const cases: Array<[string | undefined, string]> = [
    ['MIT', 'permissive'],
    ['Apache-2.0', 'permissive'],
    ['(MIT OR GPL-3.0-only)', 'permissive'],
    ['MIT AND GPL-3.0-only', 'strong'],
    ['AGPL-3.0-or-later', 'strong'],
    ['LGPL-2.1-only', 'weak'],
    ['(MPL-2.0 OR Apache-2.0)', 'permissive'],
    ['MPL-2.0 AND MIT', 'weak'],
    [undefined, 'unknown'],
    ['UNLICENSED', 'unknown'],
    ['SEE LICENSE IN LICENSE.txt', 'unknown'],
    ['not a license ((', 'unknown'],
  ];
  for (const [expr, cls] of cases) assert.equal(classifyLicense(expr), cls, String(expr));
});

test('a license the team has cleared (params.licenseAllow) is no longer reported', async () => {
  const out = await runOnFixture(licenseChecker, 'node-shop', { params: { licenseAllow: 'MPL-2.0' } });
  assert.ok(!out.findings.some((f) => f.rule === 'license/weak-copyleft'));
  assert.ok(out.findings.some((f) => f.rule === 'license/strong-copyleft'));
});
