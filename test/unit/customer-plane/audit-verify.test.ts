import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DAY1, DAY2, auditLogOfThreeBatches, tempStateDir, writeLines } from '../../support/audit-log.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `npm run audit:verify -- <args>` as an operator runs it. */
function auditVerify(...args: string[]) {
  return spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'customer-plane/audit-verify.ts'), ...args], { encoding: 'utf8' });
}

const TABLE_HEAD = [
  'what crossed to the control plane (batches / events), per UTC day and kind:',
  'day                    meta             otel            usage         patterns',
];

test('audit:verify prints each UTC day in date order (also after the clock was set back) with batches/events per kind, and exits 0', async (t) => {
  // The second batch was recorded after the clock went back a day: the table is still in date order.
  const f = await auditLogOfThreeBatches(t, [DAY2, DAY1, DAY2]);
  const out = auditVerify('--state-dir', f.dir);
  assert.equal(out.status, 0);
  assert.equal(
    out.stdout,
    [
      `audit log: ${f.path}`,
      'records checked: 3',
      ...TABLE_HEAD,
      '2026-01-01              0/0              1/2              0/0              0/0',
      '2026-01-02              0/0              0/0              2/8              0/0',
      'chain intact: every record links to the one before it.',
      '',
    ].join('\n'),
  );
});

test('audit:verify says a torn last line was ignored and its batch will be recorded again, and exits 0', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  appendFileSync(f.path, '{"index":3,"prev');
  const out = auditVerify('--file', f.path);
  assert.equal(out.status, 0);
  assert.match(
    out.stdout,
    /^records checked: 3 \(a torn last line from a crash was ignored; its batch is recorded again when re-forwarded\)$/m,
  );
});

test('on an edited record audit:verify exits 1 naming its line and index, with counts only up to it', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  writeLines(f.path, [lines[0], lines[1], lines[2].replace('"hubSeq":12', '"hubSeq":99')]);
  const out = auditVerify('--file', f.path);
  assert.equal(out.status, 1);
  assert.equal(
    out.stdout,
    [
      `audit log: ${f.path}`,
      'records checked: 2',
      ...TABLE_HEAD,
      '2026-01-01              0/0              1/2              1/3              0/0',
      'CHAIN BROKEN at line 3 (record index 2): hash does not match the record (edited)',
      'records before that line are intact; counts above stop there.',
      '',
    ].join('\n'),
  );
});

test('on a line that is no record audit:verify exits 1 naming the line (there is no index to name)', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  writeLines(f.path, [lines[0], 'garbage', lines[2]]);
  const out = auditVerify('--file', f.path);
  assert.equal(out.status, 1);
  assert.match(out.stdout, /\nCHAIN BROKEN at line 2: not JSON\nrecords before that line are intact; counts above stop there\.\n$/);
});

test('audit:verify --json prints the file and the whole check as one JSON line; exit 0 intact, 1 broken', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const ok = auditVerify('--state-dir', f.dir, '--json');
  assert.equal(ok.status, 0);
  const intact = JSON.parse(ok.stdout);
  assert.equal(intact.file, f.path);
  assert.equal(intact.ok, true);
  assert.equal(intact.records, 3);
  assert.equal(intact.tornTail, false);
  assert.deepEqual(intact.perDay['2026-01-02'].usage, { batches: 1, events: 5 });
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  writeLines(f.path, [lines[0], lines[2]]);
  const bad = auditVerify('--state-dir', f.dir, '--json');
  assert.equal(bad.status, 1);
  assert.deepEqual(JSON.parse(bad.stdout).broken, { line: 2, index: 2, reason: 'index 2 where 1 was expected' });
});

test('audit:verify without --file or --state-dir prints its usage and exits 2', () => {
  const out = auditVerify();
  assert.equal(out.status, 2);
  assert.equal(out.stdout, '');
  assert.equal(out.stderr, 'usage: audit-verify --file <egress-audit.jsonl> | --state-dir <customer-plane state dir> [--json]\n');
});

test('audit:verify on a state dir without an audit log says which file it looked for and exits 2', (t) => {
  const dir = tempStateDir(t);
  const out = auditVerify('--state-dir', dir);
  assert.equal(out.status, 2);
  assert.equal(out.stdout, '');
  assert.equal(out.stderr, `audit log not found: ${join(dir, 'audit', 'egress-audit.jsonl')}\n`);
});
