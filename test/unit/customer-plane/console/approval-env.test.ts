import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApprovalRecord } from '../../../../customer-plane/approvals/store.ts';
import { formatApproval } from '../../../../customer-plane/cli/format-approvals.ts';
import { approvalPage } from '../../../../customer-plane/console/views/approvals.ts';
import { approvalRecord } from '../../../support/approval-record.ts';

// A command that passes secrets through run_command's env: a person deciding sees the variables it sets,
// with the references the agent wrote (never values), in the console and in `npm run approvals show`.
const record = (env?: Record<string, string>): ApprovalRecord =>
  approvalRecord({
    seq: 2,
    reason: 'sandbox_unavailable',
    consequences: [],
    preview: { tool: 'run_command', argv: [['npm', 'publish']], cwd: '/ws/one', secrets: ['NPM_TOKEN'], ...(env ? { env } : {}) },
  });
const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const env = { NPM_TOKEN: '{{secret:NPM_TOKEN}}', 'A\u001b[2J': '{{secret:X}}' };

test('the console shows the variables a command sets, with their references, escaped', () => {
  const page = approvalPage(record(env), NOW, { csrfToken: 'c', name: 'admin' }).toString();
  assert.match(
    page,
    /<dt>Environment it sets<\/dt><dd><code>NPM_TOKEN=\{\{secret:NPM_TOKEN\}\}<\/code>, <code>A⟨U\+001B⟩\[2J=\{\{secret:X\}\}<\/code><\/dd>/,
  );
  assert.doesNotMatch(approvalPage(record(), NOW, { csrfToken: 'c', name: 'admin' }).toString(), /Environment it sets/);
});

test('npm run approvals show lists each variable a command sets after where it runs, controls made visible', () => {
  const lines = formatApproval(record(env), NOW).split('\n');
  const at = lines.indexOf('  in: /ws/one');
  assert.equal(lines[at + 1], '  env: NPM_TOKEN={{secret:NPM_TOKEN}}');
  assert.match(lines[at + 2]!, /^ {2}env: A.*\[2J=\{\{secret:X\}\}$/);
  assert.ok(!lines[at + 2]!.includes('\u001b'));
  assert.ok(!formatApproval(record(), NOW).includes('env:'));
});
