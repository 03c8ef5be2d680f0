import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs, { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { OperatorError } from '../../../../shared/errors.ts';
import { openAuditLog, verifyAuditLog, auditLogPath, type AuditRecord } from '../../../../customer-plane/egress/audit-log.ts';
import {
  DAY1,
  DAY2,
  auditLogOfThreeBatches,
  newBatchKey,
  readRecords,
  resealed,
  signedBatch,
  tempStateDir,
  writeLines,
} from '../../../support/audit-log.ts';

test('the audit chain verifies and counts what crossed per day and kind', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, true);
  assert.equal(s.records, 3);
  assert.deepEqual(s.perDay['2026-01-01'].usage, { batches: 1, events: 3 });
  assert.deepEqual(s.perDay['2026-01-01'].otel, { batches: 1, events: 2 });
  assert.deepEqual(s.perDay['2026-01-02'].usage, { batches: 1, events: 5 });
});

test('each record names the key that signed its batch and the sha256 of the bytes sent, to compare with the vendor', async (t) => {
  const dir = tempStateDir(t);
  const key = await newBatchKey();
  const data = await signedBatch(key, 7, 'otel', 4);
  const log = openAuditLog(auditLogPath(dir), { clock: () => DAY1 });
  log.record({ kind: 'otel', data, hubSeq: 70 });
  log.close();
  const [r] = readRecords(auditLogPath(dir));
  assert.equal(r.kid, key.kid);
  assert.equal(r.seq, 7);
  assert.equal(r.events, 4);
  assert.equal(r.hubSeq, 70);
  assert.equal(r.digest, createHash('sha256').update(data).digest('hex'));
});

test('an auditor can re-check the chain without agentplane: sha256 of the sorted-key JSON of the other fields, the first linking to 64 zeros', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  let prev = '0'.repeat(64);
  for (const [i, r] of readRecords(f.path).entries()) {
    const { hash, ...fields } = r;
    const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.equal(r.index, i);
    assert.equal(r.prevHash, prev);
    assert.equal(hash, createHash('sha256').update(JSON.stringify(sorted)).digest('hex'));
    prev = hash;
  }
});

test('the chain stays at <state-dir>/audit/egress-audit.jsonl, so a plane upgraded in place continues the chain it wrote before', () => {
  assert.equal(auditLogPath('/var/lib/agentplane'), join('/var/lib/agentplane', 'audit', 'egress-audit.jsonl'));
});

test('an edited record breaks the chain at that record', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  const r = JSON.parse(lines[1]);
  r.events = 1; // a reviewer is told fewer events left than did
  lines[1] = JSON.stringify(r);
  writeLines(f.path, lines);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, false);
  assert.deepEqual(s.broken, { line: 2, index: 1, reason: 'hash does not match the record (edited)' });
});

test('a removed record breaks the chain at the record after it, also when the tamperer renumbers and reseals that record', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const [first, , third] = readRecords(f.path);
  writeLines(f.path, [JSON.stringify(first), resealed({ ...third, index: 1 })]);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, false);
  assert.deepEqual(s.broken, { line: 2, index: 1, reason: 'prevHash does not match the previous record' });
  assert.equal(s.records, 1);
});

test('a record renumbered and resealed, or records swapped, break the chain at the first record out of place', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const [first, second, third] = readRecords(f.path);
  writeLines(f.path, [JSON.stringify(first), resealed({ ...second, index: 5 }), JSON.stringify(third)]);
  assert.deepEqual(verifyAuditLog(f.path).broken, { line: 2, index: 5, reason: 'index 5 where 1 was expected' });
  writeLines(f.path, [JSON.stringify(first), JSON.stringify(third), JSON.stringify(second)]);
  assert.deepEqual(verifyAuditLog(f.path).broken, { line: 2, index: 2, reason: 'index 2 where 1 was expected' });
});

test('a resealed record of a kind that never crosses the link breaks the chain, naming the kind', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const records = readRecords(f.path);
  writeLines(f.path, [JSON.stringify(records[0]), resealed({ ...records[1], kind: 'secrets' as AuditRecord['kind'] })]);
  const s = verifyAuditLog(f.path);
  assert.deepEqual(s.broken, { line: 2, index: 1, reason: 'unknown kind' });
  assert.equal(s.records, 1);
});

test('a re-hashed record whose time or count is not a number breaks the chain at its line instead of crashing the check', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const records = readRecords(f.path);
  for (const edit of [{ at: 'yesterday' }, { at: 9e15 }, { at: 1.5 }, { events: '3' }, { events: -1 }, { index: undefined }]) {
    writeLines(f.path, [JSON.stringify(records[0]), resealed({ ...records[1], ...edit } as AuditRecord), JSON.stringify(records[2])]);
    const s = verifyAuditLog(f.path);
    assert.deepEqual(s.broken, { line: 2, index: undefined, reason: 'not a record' }, JSON.stringify(edit));
    assert.equal(s.records, 1, JSON.stringify(edit));
  }
});

test('a line that is not a JSON record breaks the chain there, and the check reports it rather than failing', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  for (const [bad, reason] of [
    ['{"index":1,', 'not JSON'],
    ['null', 'not a record'],
    ['42', 'not a record'],
  ]) {
    writeLines(f.path, [lines[0], bad, lines[2]]);
    const s = verifyAuditLog(f.path);
    assert.equal(s.ok, false, bad);
    assert.deepEqual(s.broken, { line: 2, index: undefined, reason }, bad);
    assert.equal(s.records, 1, bad);
  }
});

test('a log with a line that is not a record is refused at start (operator error naming the line), and left as it was', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  for (const bad of ['{"index":1,', 'null', '42']) {
    writeLines(f.path, [lines[0], bad, lines[2]]);
    const before = readFileSync(f.path, 'utf8');
    assert.throws(
      () => openAuditLog(f.path),
      (err: unknown) =>
        err instanceof OperatorError &&
        err.code === 'audit_log_corrupt' &&
        err.message === `audit log ${f.path} is corrupt at line 2; run \`npm run audit:verify\` and keep the file for review`,
      bad,
    );
    assert.equal(readFileSync(f.path, 'utf8'), before);
  }
});

test('a torn last line (crash mid-write) is cut from the file on reopen and the chain continues intact', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const complete = readFileSync(f.path, 'utf8');
  appendFileSync(f.path, '{"index":3,"prevHash":"ab');
  assert.equal(verifyAuditLog(f.path).tornTail, true);
  assert.equal(verifyAuditLog(f.path).records, 3);
  const log = openAuditLog(f.path, { clock: () => DAY2 });
  assert.equal(readFileSync(f.path, 'utf8'), complete, 'cut on disk before anything is appended');
  log.record({ kind: 'usage', data: await signedBatch(f.key, 4, 'usage', 1), hubSeq: 13 });
  log.close();
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, true);
  assert.equal(s.tornTail, false);
  assert.equal(s.records, 4);
});

test('a re-forwarded batch acknowledged again (duplicate) is recorded once, also across a restart', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const again = await signedBatch(f.key, 5, 'usage', 2);
  const log = openAuditLog(f.path, { clock: () => DAY2 });
  assert.equal(log.record({ kind: 'usage', data: again, hubSeq: 14 }), true);
  assert.equal(log.record({ kind: 'usage', data: again, hubSeq: 14 }), false);
  log.close();
  const reopened = openAuditLog(f.path, { clock: () => DAY2 });
  assert.equal(reopened.record({ kind: 'usage', data: again, hubSeq: 14 }), false);
  assert.equal(reopened.record({ kind: 'usage', data: await signedBatch(f.key, 1, 'usage', 3), hubSeq: 10 }), false);
  reopened.close();
  assert.equal(verifyAuditLog(f.path).records, 4);
});

test('duplicates are recognised among the last 200,000 batches; an id older than that is forgotten, so memory stays bounded', async (t) => {
  const dir = tempStateDir(t);
  const path = auditLogPath(dir);
  const key = await newBatchKey();
  // Only ids matter when the log is reopened (the chain is the check's business): well-formed records, hashes not chained.
  const lines = Array.from(
    { length: 200_001 },
    (_, i) =>
      `{"index":${i},"prevHash":"p","hash":"h${i}","at":${DAY1},"kind":"usage","seq":${i + 1},"kid":"${key.kid}","events":1,"digest":"d","hubSeq":${i}}`,
  );
  openAuditLog(path).close();
  writeFileSync(path, `${lines.join('\n')}\n`);
  const log = openAuditLog(path, { clock: () => DAY1 });
  t.after(() => log.close());
  assert.equal(log.record({ kind: 'usage', data: await signedBatch(key, 2, 'usage', 1), hubSeq: 2 }), false, 'the 200,000th newest');
  assert.equal(log.record({ kind: 'usage', data: await signedBatch(key, 1, 'usage', 1), hubSeq: 1 }), true, 'older than that');
});

test('record() returns only after its line was written and fsynced, so the outbox ack that follows never outruns the log', async (t) => {
  const dir = tempStateDir(t);
  const key = await newBatchKey();
  const data = await signedBatch(key, 1, 'usage', 1);
  const log = openAuditLog(auditLogPath(dir), { clock: () => DAY1 });
  t.after(() => log.close());
  // The log imports node:fs by name: the spies reach it through the builtin's live ESM bindings.
  const calls: string[] = [];
  const { writeSync, fsyncSync } = fs;
  t.after(() => {
    Object.assign(fs, { writeSync, fsyncSync });
    syncBuiltinESMExports();
  });
  Object.assign(fs, {
    writeSync: (fd: number, text: string) => (calls.push(`write ${fd} ${text.slice(0, 10)}`), writeSync(fd, text)),
    fsyncSync: (fd: number) => (calls.push(`fsync ${fd}`), fsyncSync(fd)),
  });
  syncBuiltinESMExports();
  log.record({ kind: 'usage', data, hubSeq: 1 });
  const fd = calls[0]?.split(' ')[1];
  assert.deepEqual(calls, [`write ${fd} {"index":0`, `fsync ${fd}`]);
});

test('opening, recording and closing the log leaves no file descriptor open, also when a torn line is cut', async (t) => {
  const fdDir = '/proc/self/fd';
  if (!existsSync(fdDir)) return t.skip('no /proc/self/fd on this system');
  const f = await auditLogOfThreeBatches(t);
  appendFileSync(f.path, '{"index":3,"prevHash":"ab');
  const data = await signedBatch(f.key, 4, 'usage', 1);
  const openBefore = readdirSync(fdDir).length;
  const log = openAuditLog(f.path, { clock: () => DAY2 });
  log.record({ kind: 'usage', data, hubSeq: 13 });
  log.close();
  assert.equal(readdirSync(fdDir).length, openBefore);
});

test('collect picks verified records in chain order up to maxCollected, as the What-left page lists a day', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const onDay1 = (r: AuditRecord) => new Date(r.at).toISOString().startsWith('2026-01-01');
  assert.equal(verifyAuditLog(f.path).collected, undefined);
  assert.deepEqual(
    verifyAuditLog(f.path, { collect: onDay1 }).collected?.map((r) => r.index),
    [0, 1],
  );
  assert.deepEqual(
    verifyAuditLog(f.path, { collect: () => true, maxCollected: 2 }).collected?.map((r) => r.index),
    [0, 1],
  );
  assert.deepEqual(verifyAuditLog(f.path, { collect: () => true, maxCollected: 1 }).collected, [readRecords(f.path)[0]]);
  // Records after a break are not offered: the page never lists a batch the check did not reach.
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  writeLines(f.path, [lines[0], lines[1].replace('"events":2', '"events":1'), lines[2]]);
  assert.deepEqual(
    verifyAuditLog(f.path, { collect: () => true }).collected?.map((r) => r.index),
    [0],
  );
});
