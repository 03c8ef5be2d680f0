import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADVISORIES, advisoriesFor } from '../../../../agents/analysis/advisories.ts';
import { classifyNpmSpec, dependencyAuditor } from '../../../../agents/catalog/dependency-auditor.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { runOnFixture, scoreOnFixture } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`dependency-auditor reports every planted dependency problem in ${repo} and none of its look-alikes`, async () => {
    const s = await scoreOnFixture(dependencyAuditor, repo);
    assert.deepEqual(s.missed, [], 'planted problems not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

test('the shipped advisory list loads, and each advisory names affected ranges or exact versions', () => {
  assert.ok(ADVISORIES.length >= 15);
  for (const a of ADVISORIES) assert.ok((a.affected?.length ?? 0) + (a.versions?.length ?? 0) > 0, a.id);
});

test('a version is matched inside an advisory range and not at the fixed version; PyPI names compare normalized', () => {
  assert.deepEqual(
    advisoriesFor('npm', 'lodash', '4.17.20').map((a) => a.id),
    ['CVE-2021-23337'],
  );
  assert.deepEqual(advisoriesFor('npm', 'lodash', '4.17.21'), []);
  assert.deepEqual(
    advisoriesFor('npm', 'minimist', '0.2.3').map((a) => a.id),
    ['CVE-2021-44906'],
  );
  assert.deepEqual(advisoriesFor('npm', 'minimist', '0.2.4'), []);
  assert.deepEqual(
    advisoriesFor('PyPI', 'PyYAML', '5.3.1').map((a) => a.id),
    ['CVE-2020-14343'],
  );
  assert.deepEqual(
    advisoriesFor('PyPI', 'Django', '3.2.12').map((a) => a.id),
    ['CVE-2022-28346'],
  );
  assert.deepEqual(advisoriesFor('PyPI', 'django', '3.2.13'), []);
});

test('npm version specs are classified by how much they let in', () => {
  const cases: Array<[string, ReturnType<typeof classifyNpmSpec>]> = [
    ['1.2.3', 'exact'],
    ['=1.2.3', 'exact'],
    ['^1.2.3', 'caret-tilde'],
    ['~1.2.3', 'caret-tilde'],
    ['1.x', 'caret-tilde'],
    ['*', 'open'],
    ['latest', 'open'],
    ['>=1.0.0', 'open'],
    ['>=1.0.0 <2.0.0', 'other'],
    ['^1.0.0 || ^2.0.0', 'open'],
    ['github:acme/theme', 'non-registry'],
    ['acme/theme#v1', 'non-registry'],
    ['git+https://github.com/acme/theme.git', 'non-registry'],
    ['file:../local', 'non-registry'],
    ['npm:other@1.0.0', 'other'],
  ];
  for (const [spec, kind] of cases) assert.equal(classifyNpmSpec(spec), kind, spec);
});

test('without a lockfile: caret ranges are reported, exact versions are checked against advisories, and the missing lockfile is a finding', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-deps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'x', dependencies: { express: '^4.0.0', 'shell-quote': '1.7.2' } }, null, 2),
  );
  const out = await runOnFixture(dependencyAuditor, dir);
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.severity, f.line]),
    [
      ['deps/no-lockfile', 'medium', 1],
      ['deps/unpinned-range', 'low', 4],
      ['deps/known-vulnerable', 'critical', 5],
    ],
  );
});
