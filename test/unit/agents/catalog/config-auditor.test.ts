import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pipeToShellRows } from '../../../../agents/analysis/shell-scripts.ts';
import { auditWorkflow } from '../../../../agents/analysis/workflows.ts';
import { auditDockerfile, configAuditor } from '../../../../agents/catalog/config-auditor.ts';
import { withTreeOf } from '../../../../agents/support/syntax.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { scoreOnFixture, syntaxService } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`config-auditor reports every planted misconfiguration in ${repo} and none of its look-alikes`, async () => {
    const s = await scoreOnFixture(configAuditor, repo);
    assert.deepEqual(s.missed, [], 'planted problems not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

async function pipeRows(script: string): Promise<number[]> {
  return withTreeOf({ syntax: await syntaxService() }, 'bash', script, pipeToShellRows) ?? [];
}

test('downloaded code run by a shell is found on the bash tree in every form, through sudo and env', async () => {
  assert.deepEqual(await pipeRows('wget -qO- https://x | sudo -E bash'), [0]);
  assert.deepEqual(await pipeRows('set -e\ncurl -fsSL https://x | env FOO=1 sh -s -- --yes'), [1]);
  assert.deepEqual(await pipeRows('bash -c "$(curl -fsSL https://x)"'), [0]);
  assert.deepEqual(await pipeRows('sh <(curl -s https://x)'), [0]);
  assert.deepEqual(await pipeRows('curl -s https://x | python3 -'), [0]);
});

test('downloads piped to a non-interpreter, and the words inside a string, are not pipe-to-shell', async () => {
  assert.deepEqual(await pipeRows('curl -fsSL https://x | tar xz -C /opt'), []);
  assert.deepEqual(await pipeRows('echo "curl https://x | sh"'), []);
  assert.deepEqual(await pipeRows('curl -o i.sh https://x && sha256sum -c sums && sh i.sh'), []);
});

test('Dockerfile: a stage alias is not an unpinned image, and root is judged on the final stage only', async () => {
  const ctx = { syntax: await syntaxService() };
  const text = ['FROM node:20.17 AS build', 'USER root', 'RUN npm ci', 'FROM build', 'USER app', 'CMD ["node", "x.js"]'].join('\n');
  assert.deepEqual(auditDockerfile(ctx, 'Dockerfile', text), []);
  const rootLast = ['FROM node:20.17 AS build', 'USER app', 'FROM build', 'USER 0'].join('\n');
  assert.deepEqual(
    auditDockerfile(ctx, 'Dockerfile', rootLast).map((f) => [f.rule, f.line]),
    [['docker/runs-as-root', 4]],
  );
});

test('workflows: a reusable workflow on a branch is unpinned; docker digests and local actions are not', () => {
  const text = [
    'on: push',
    'jobs:',
    '  shared:',
    '    uses: acme/workflows/.github/workflows/build.yml@main',
    '  local:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: ./.github/actions/setup',
    '      - uses: docker://alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ].join('\n');
  assert.deepEqual(
    auditWorkflow(text).hits.map((h) => [h.rule, h.line]),
    [['ci/unpinned-action', 4]],
  );
});

test('workflows: pull_request_target without a checkout of the PR head is not the critical finding', () => {
  const text = [
    'on: pull_request_target',
    'jobs:',
    '  label:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
  ].join('\n');
  assert.deepEqual(auditWorkflow(text).hits, []);
});
