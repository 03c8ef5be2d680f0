import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatApproval, formatApprovalList, shownArgv } from '../../../../customer-plane/cli/format-approvals.ts';
import type { ApprovalRecord } from '../../../../customer-plane/approvals/store.ts';
import { HOSTILE, rawControls, SHOWN } from './hostile-text.ts';
import { approvalRecord } from '../../../support/approval-record.ts';

/**
 * What `npm run approvals` shows a person deciding. The preview is repository text: argv a model chose,
 * the paths it writes, the diff, the working directory, a URL; a decision's note and author come from
 * whoever decided.
 */
const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const ID = '01JZ8Q4T5V6W7X8Y9Z0A1B2C3D';
const at = (ms: number) => new Date(NOW + ms).toISOString();

const approval = (o: Partial<ApprovalRecord> = {}): ApprovalRecord =>
  approvalRecord({
    id: ID,
    preview: {
      tool: 'run_command',
      argv: [
        ['git', 'push', '{{secret:DEPLOY_URL}}', 'main branch'],
        ['tee', '{{secret:LOG_PATH}}', ''],
      ],
      cwd: '/ws/one',
      secrets: ['DEPLOY_URL', 'LOG_PATH'],
    },
    ...o,
  });

const diff = '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-a\n+b\n';
const write = (o: Partial<ApprovalRecord> = {}) =>
  approval({
    tool: 'write_file',
    reason: 'environment_policy',
    consequences: [],
    preview: { tool: 'write_file', paths: ['src/a.ts', 'src/b.ts'], diff },
    ...o,
  });

test('npm run approvals show: a pending command shows who asks, why, the exact argv, where and which secrets by name, and how to decide', () => {
  assert.equal(
    formatApproval(approval(), NOW),
    [
      `approval ${ID}  pending (60 min left)`,
      '  run 01JZ8Q4T5V6W7X8Y9Z0A1B2C3E, step 01JZ8Q4T5V6W7X8Y9Z0A1B2C3F, call 4',
      '  agent fixer, tool run_command, environment sandbox (autonomy assisted)',
      '  asked because: consequential_action (pushes, network)',
      '  asked 2026-12-01T09:59:00.000Z, deadline 2026-12-01T11:00:00.000Z',
      '',
      'what it would do',
      '  run: git push {{secret:DEPLOY_URL}} "main branch"',
      '  run: tee {{secret:LOG_PATH}} ""',
      '  in: /ws/one',
      '  secrets it uses (names only): DEPLOY_URL, LOG_PATH',
      '',
      `decide: npm run approvals -- approve ${ID}   or   npm run approvals -- reject ${ID}`,
      '',
    ].join('\n'),
  );
});

test('npm run approvals show: a decided file write shows the decision, who took it and the note, the paths and the diff line by line', () => {
  const decided = write({ status: 'approved', decidedAt: '2026-12-01T10:01:00.000Z', decidedBy: 'cli:ana', note: 'reviewed the diff' });
  assert.equal(
    formatApproval(decided, NOW),
    [
      `approval ${ID}  approved`,
      '  run 01JZ8Q4T5V6W7X8Y9Z0A1B2C3E, step 01JZ8Q4T5V6W7X8Y9Z0A1B2C3F, call 4',
      '  agent fixer, tool write_file, environment sandbox (autonomy assisted)',
      '  asked because: environment_policy',
      '  asked 2026-12-01T09:59:00.000Z, deadline 2026-12-01T11:00:00.000Z',
      '  approved 2026-12-01T10:01:00.000Z by cli:ana: reviewed the diff',
      '',
      'what it would do',
      '  touches: src/a.ts, src/b.ts',
      '  diff:',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n'),
  );
  const lines = (a: ApprovalRecord) => formatApproval(a, NOW).split('\n');
  assert.equal(lines(write({ status: 'rejected', decidedAt: '2026-12-01T10:01:00.000Z' }))[5], '  rejected 2026-12-01T10:01:00.000Z');
  assert.equal(
    lines(write({ status: 'rejected', decidedAt: '2026-12-01T10:01:00.000Z', note: 'no' }))[5],
    '  rejected 2026-12-01T10:01:00.000Z: no',
  );
  assert.equal(lines(write({ status: 'expired', decidedBy: 'cli:ana', note: 'late' }))[5], '', 'no decision line without a decision time');
  const url = approval({ tool: 'fetch_url', consequences: [], preview: { tool: 'fetch_url', url: 'https://example.com/x' } });
  assert.deepEqual(lines(url).slice(6, 9), ['what it would do', '  url: https://example.com/x', '']);
  assert.equal(
    lines(write({ status: 'approved', preview: { tool: 'write_file', paths: ['a'], diff: '-x\n+y' } })).at(-2),
    '+y',
    'a diff without a final newline',
  );
});

test('npm run approvals: time left is whole seconds under two minutes, whole minutes from two, and past its deadline from zero', () => {
  const left = (ms: number) =>
    formatApproval(approval({ deadlineAt: at(ms) }), NOW)
      .split('\n')[0]
      .replace(`approval ${ID}  pending `, '');
  assert.equal(left(-60_000), '(past its deadline)');
  assert.equal(left(0), '(past its deadline)');
  assert.equal(left(400), '(past its deadline)', 'less than half a second rounds to none');
  assert.equal(left(600), '(1 s left)');
  assert.equal(left(119_400), '(119 s left)');
  assert.equal(left(119_600), '(2 min left)');
  assert.equal(left(150_000), '(3 min left)');
  assert.equal(left(149_000), '(2 min left)');
  assert.equal(formatApproval(approval({ status: 'expired', deadlineAt: at(-1) }), NOW).split('\n')[0], `approval ${ID}  expired`);
});

test('an argv is shown as a person would type it: a word with a space, tab, newline, quote or backslash, or an empty one, is JSON-quoted', () => {
  assert.equal(shownArgv(['git', 'commit', '-m', 'two words']), 'git commit -m "two words"');
  assert.equal(shownArgv(['printf', '']), 'printf ""');
  assert.equal(shownArgv(['a\tb', 'c\nd', 'say"hi"', "it's", 'back\\slash']), '"a\\tb" "c\\nd" "say\\"hi\\"" "it\'s" "back\\\\slash"');
  assert.equal(shownArgv(['ls', '-la', 'src/ü.ts', '{{secret:TOKEN}}']), 'ls -la src/ü.ts {{secret:TOKEN}}');
});

test('npm run approvals list: one aligned row per approval; the action is the argv (a pipeline joined by |), else the URL, else the tool and its paths, else the tool', () => {
  assert.equal(formatApprovalList([], NOW), 'no approvals\n');
  const fetch = approval({
    tool: 'fetch_url',
    deadlineAt: at(119_400),
    preview: { tool: 'fetch_url', argv: [], url: 'https://example.com/x' },
  });
  const noPaths = approval({ tool: 'delete_file', status: 'expired', preview: { tool: 'delete_file', paths: [] } });
  const bare = approval({ tool: 'read_file', status: 'closed', preview: { tool: 'read_file' } });
  const both = approval({ preview: { tool: 'run_command', argv: [['curl', 'https://a.example']], url: 'https://b.example' } });
  assert.equal(
    formatApprovalList([approval(), write({ status: 'approved' }), fetch, noPaths, bare, both], NOW),
    [
      'APPROVAL                    STATUS                     ENVIRONMENT  AGENT              REASON                ACTION',
      `${ID}  pending, 60 min left       sandbox      fixer              consequential_action  git push {{secret:DEPLOY_URL}} "main branch" | tee {{secret:LOG_PATH}} ""`,
      `${ID}  approved                   sandbox      fixer              environment_policy    write_file src/a.ts, src/b.ts`,
      `${ID}  pending, 119 s left        sandbox      fixer              consequential_action  https://example.com/x`,
      `${ID}  expired                    sandbox      fixer              consequential_action  delete_file`,
      `${ID}  closed                     sandbox      fixer              consequential_action  read_file`,
      `${ID}  pending, 60 min left       sandbox      fixer              consequential_action  curl https://a.example`,
      '',
    ].join('\n'),
  );
});

test('npm run approvals list: a name longer than its column is shown whole, the row only shifts', () => {
  const long = approval({ environment: 'production-eu-west', agent: 'dependency-upgrader-ii' });
  assert.equal(
    formatApprovalList([long], NOW).split('\n')[1],
    `${ID}  pending, 60 min left       production-eu-west dependency-upgrader-ii consequential_action  git push {{secret:DEPLOY_URL}} "main branch" | tee {{secret:LOG_PATH}} ""`,
  );
});

test('npm run approvals show: every field that carries repository text shows its controls and bidi overrides, and a one-line field stays one line', () => {
  const hostile = approval({
    status: 'rejected',
    decidedAt: '2026-12-01T10:01:00.000Z',
    decidedBy: HOSTILE,
    note: HOSTILE,
    preview: {
      tool: 'run_command',
      argv: [[HOSTILE, '\u001b[2J\u009b', 'a b\u009b', '\u202e']],
      cwd: HOSTILE,
      secrets: ['DEPLOY_URL'],
      url: HOSTILE,
      paths: [HOSTILE, 'ok.ts'],
      diff: '--- a/f\n+++ b/f\n+ok\r\n+\u001b[2Jgone\u202e\u009b\t\n',
    },
  });
  const out = formatApproval(hostile, NOW);
  assert.deepEqual(rawControls(out), [], 'no control character reaches the terminal');
  assert.deepEqual(out.split('\n').slice(5), [
    `  rejected 2026-12-01T10:01:00.000Z by ${SHOWN}: ${SHOWN}`,
    '',
    'what it would do',
    // A word JSON-quoted (it holds whitespace) has its C0 controls escaped by JSON (\u001b, \r); JSON leaves
    // C1, DEL and bidi characters raw, and those are made visible like any unquoted word's.
    '  run: "x\\u001b[2J\\u001b]0;pwned\\u0007\\r\\b\\x9b1m\\u202e\\n\\x7fy" \\x1b[2J\\x9b "a b\\x9b" \\u202e',
    `  in: ${SHOWN}`,
    '  secrets it uses (names only): DEPLOY_URL',
    `  url: ${SHOWN}`,
    `  touches: ${SHOWN}, ok.ts`,
    '  diff:',
    '--- a/f',
    '+++ b/f',
    '+ok\\x0d',
    '+\\x1b[2Jgone\\u202e\\x9b\t',
    '',
  ]);
});

test('npm run approvals list: an action holding repository text shows its controls, on one line, cut at 120 characters', () => {
  const rows = (preview: ApprovalRecord['preview']) => formatApprovalList([approval({ tool: preview.tool, preview })], NOW).split('\n');
  const action = (preview: ApprovalRecord['preview']) =>
    rows(preview)[1].slice(`${ID}  pending, 60 min left       sandbox      fixer              consequential_action  `.length);
  // A word without whitespace is shown unquoted: its controls are made visible all the same.
  const word = '\u001b]0;pwned\u0007\b\u009b1m\u202e\u007f';
  const cases: Array<[ApprovalRecord['preview'], string]> = [
    [{ tool: 'write_file', paths: [HOSTILE] }, `write_file ${SHOWN}`],
    [{ tool: 'fetch_url', url: HOSTILE }, SHOWN],
    [{ tool: 'run_command', argv: [[word], ['\u2066']] }, '\\x1b]0;pwned\\x07\\x08\\x9b1m\\u202e\\x7f | \\u2066'],
  ];
  for (const [preview, shown] of cases) {
    assert.equal(rows(preview).length, 3, 'a header, one row and the final newline');
    assert.deepEqual(rawControls(rows(preview)[1]), []);
    assert.equal(action(preview), shown);
  }
  assert.equal(action({ tool: 'run_command', argv: [['echo', 'é'.repeat(200)]] }), `echo ${'é'.repeat(115)}`);
});
