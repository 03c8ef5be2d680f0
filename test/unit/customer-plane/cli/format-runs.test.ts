import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRun, formatRunList } from '../../../../customer-plane/cli/format-runs.ts';
import type { RunRecord } from '../../../../customer-plane/runner/ledger/records.ts';
import { HOSTILE, rawControls, SHOWN } from './hostile-text.ts';

/**
 * What `npm run runs` prints. Repository text reaches a run record through the repository's name, step
 * keys, and what agents (a model reading the repository) wrote: summaries, findings, patches.
 */
type Step = RunRecord['stepList'][number];

const step = (o: Partial<Step>): Step => ({
  id: 's1',
  key: 'review',
  idx: 0,
  agent: 'code-reviewer',
  status: 'succeeded',
  errorCode: 'none',
  attempt: 1,
  durationMs: 12345,
  llmCalls: 3,
  inputTokens: 1200,
  outputTokens: 340,
  toolCalls: 5,
  refusals: 1,
  summary: 'looked at two files\nsecond line',
  ...o,
});

const record = (o: Partial<RunRecord> = {}): RunRecord => ({
  id: '01JZ8Q4T5V6W7X8Y9Z0A1B2C3D',
  template: 'code-review',
  repo: 'acme/web',
  status: 'failed',
  errorCode: 'step_failed',
  createdAt: '2026-12-01T10:00:00.000Z',
  finishedAt: '2026-12-01T10:02:03.000Z',
  steps: 2,
  stepsSucceeded: 1,
  findings: 2,
  environment: 'sandbox',
  attempts: 2,
  stepList: [
    step({}),
    step({
      id: 's2',
      key: 'fix-the-sql-query',
      idx: 1,
      agent: 'patch-applier',
      status: 'failed',
      errorCode: 'invalid_output',
      attempt: 2,
      durationMs: null,
      llmCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      toolCalls: 0,
      refusals: 0,
      summary: null,
    }),
  ],
  findingList: [
    {
      stepKey: 'review',
      rule: 'sql/string-concat',
      severity: 'high',
      file: 'src/db.ts',
      line: 7,
      message: 'a query built by concatenation',
    },
    { stepKey: 'review', rule: 'deps/advisory', severity: 'low', file: '', line: 0, message: 'an old lockfile' },
  ],
  patchList: [
    { stepKey: 'review', kind: 'proposed', title: 'use a parameter', diff: '--- a/src/db.ts\n+++ b/src/db.ts\n@@ -1 +1 @@\n-a\n+b\n' },
    { stepKey: 'fix-the-sql-query', kind: 'applied', title: 'no newline at the end', diff: '-x\n+y' },
  ],
  refusalList: [
    { stepKey: 'review', tool: 'read_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', count: 1 },
    { stepKey: 'fix-the-sql-query', tool: 'run_command', decision: 'ask', reason: 'consequential_action', approval: 'rejected', count: 2 },
  ],
  ...o,
});

test('npm run runs show prints a run as a person reads it: the run, its steps, findings, patches (diffs line by line) and refused calls', () => {
  assert.equal(
    formatRun(record()),
    [
      'run 01JZ8Q4T5V6W7X8Y9Z0A1B2C3D  code-review on acme/web  failed (step_failed)',
      '  environment sandbox, deliveries 2, created 2026-12-01T10:00:00.000Z, finished 2026-12-01T10:02:03.000Z',
      '',
      'steps',
      '  1. review       code-reviewer          succeeded none                 12.3 s   tools 5 (1 refused)  llm 3 (1200/340 tokens)',
      '     looked at two files',
      '  2. fix-the-sql-query patch-applier          failed    invalid_output       —        tools 0 (0 refused)  llm 0 (0/0 tokens)  attempt 2',
      '',
      'findings (2)',
      '  high     src/db.ts:7  sql/string-concat  [review]',
      '           a query built by concatenation',
      '  low      (repository)  deps/advisory  [review]',
      '           an old lockfile',
      '',
      'patches (2)',
      '  --- proposed by step review: use a parameter',
      '--- a/src/db.ts',
      '+++ b/src/db.ts',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '  --- applied by step fix-the-sql-query: no newline at the end',
      '-x',
      '+y',
      '',
      'refused or asked tool calls',
      '  review       read_file    deny  path_outside_workspace   ×1',
      '  fix-the-sql-query run_command  ask   consequential_action     approval rejected ×2',
      '',
    ].join('\n'),
  );
});

test('npm run runs show: a run without error, not finished, with nothing found, patched or refused says so in as many words', () => {
  const quiet = record({
    status: 'running',
    errorCode: 'none',
    finishedAt: null,
    stepList: [step({ summary: '', durationMs: 0 })],
    findingList: [],
    patchList: [],
    refusalList: [],
  });
  assert.equal(
    formatRun(quiet),
    [
      'run 01JZ8Q4T5V6W7X8Y9Z0A1B2C3D  code-review on acme/web  running',
      '  environment sandbox, deliveries 2, created 2026-12-01T10:00:00.000Z, finished —',
      '',
      'steps',
      '  1. review       code-reviewer          succeeded none                 0.0 s    tools 5 (1 refused)  llm 3 (1200/340 tokens)',
      '',
      'findings (0)',
      '',
      'patches (0)',
      '',
    ].join('\n'),
  );
});

test('npm run runs show: a step summary is one line, its first, cut at 200 characters', () => {
  const long = `${'é'.repeat(199)}xyz\nrest`;
  const shown = formatRun(record({ stepList: [step({ summary: long })] })).split('\n')[5];
  assert.equal(shown, `     ${'é'.repeat(199)}x`);
});

test('npm run runs show: every field that carries repository text shows its controls and bidi overrides, and a one-line field stays one line', () => {
  const hostile = record({
    repo: HOSTILE,
    stepList: [step({ key: HOSTILE, summary: `${HOSTILE.replace('\n', '')}\nnext line` })],
    findingList: [{ stepKey: HOSTILE, rule: HOSTILE, severity: 'high', file: HOSTILE, line: 3, message: HOSTILE }],
    patchList: [{ stepKey: HOSTILE, kind: 'proposed', title: HOSTILE, diff: '--- a/f\n+++ b/f\n+ok\r\n+\u001b[2Jgone\u202e\u009b\t\n' }],
    refusalList: [{ stepKey: HOSTILE, tool: 'read_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', count: 1 }],
  });
  const out = formatRun(hostile);
  assert.deepEqual(rawControls(out), [], 'no control character reaches the terminal');
  assert.equal(
    out,
    [
      `run 01JZ8Q4T5V6W7X8Y9Z0A1B2C3D  code-review on ${SHOWN}  failed (step_failed)`,
      '  environment sandbox, deliveries 2, created 2026-12-01T10:00:00.000Z, finished 2026-12-01T10:02:03.000Z',
      '',
      'steps',
      `  1. ${SHOWN} code-reviewer          succeeded none                 12.3 s   tools 5 (1 refused)  llm 3 (1200/340 tokens)`,
      `     ${SHOWN.replace('\\x0a', '')}`,
      '',
      'findings (1)',
      `  high     ${SHOWN}:3  ${SHOWN}  [${SHOWN}]`,
      `           ${SHOWN}`,
      '',
      'patches (1)',
      `  --- proposed by step ${SHOWN}: ${SHOWN}`,
      '--- a/f',
      '+++ b/f',
      '+ok\\x0d',
      '+\\x1b[2Jgone\\u202e\\x9b\t',
      '',
      'refused or asked tool calls',
      `  ${SHOWN} read_file    deny  path_outside_workspace   ×1`,
      '',
    ].join('\n'),
  );
});

test('npm run runs list: one aligned row per run, the repository shown with its controls visible; no runs says so', () => {
  assert.equal(formatRunList([]), 'no runs yet\n');
  const runs = [record(), record({ repo: `a-very-long-repository-name${HOSTILE}`, status: 'succeeded', errorCode: 'none', findings: 12 })];
  const out = formatRunList(runs);
  assert.deepEqual(rawControls(out), []);
  assert.equal(
    out,
    [
      'RUN                         TEMPLATE          REPO           STATUS     ERROR                STEPS FINDINGS CREATED',
      '01JZ8Q4T5V6W7X8Y9Z0A1B2C3D  code-review       acme/web       failed     step_failed          1/2   2        2026-12-01T10:00:00.000Z',
      `01JZ8Q4T5V6W7X8Y9Z0A1B2C3D  code-review       a-very-long-repository-name${SHOWN} succeeded  none                 1/2   12       2026-12-01T10:00:00.000Z`,
      '',
    ].join('\n'),
  );
});
