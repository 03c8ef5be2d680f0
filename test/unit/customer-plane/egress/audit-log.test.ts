import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateTenantKey, importTenantKey, signBatch, type TenantSigningKey } from '../../../../shared/signing.ts';
import { newUlid } from '../../../../shared/ids.ts';
import { openAuditLog, verifyAuditLog, auditLogPath } from '../../../../customer-plane/egress/audit-log.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TENANT = '00000000-0000-4000-8000-000000000001';
const DAY1 = Date.UTC(2026, 0, 1, 12);
const DAY2 = Date.UTC(2026, 0, 2, 12);

async function batch(key: TenantSigningKey, seq: number, kind: 'usage' | 'otel', n: number): Promise<Uint8Array> {
  const events = Array.from({ length: n }, () =>
    kind === 'otel'
      ? { eventId: newUlid(), metric: 'runner.memory.rss_bytes', kind: 'gauge', at: DAY1, value: 1 }
      : {
          eventId: newUlid(),
          day: '2026-01-01',
          provider: 'openai',
          tier: 'core',
          requests: 1,
          inputTokens: 1,
          cachedInputTokens: 0,
          cacheCreationTokens: 0,
          outputTokens: 1,
          failovers: 0,
        },
  );
  return new TextEncoder().encode(await signBatch({ tenant: TENANT, seq, iat: Math.floor(DAY1 / 1000), kind, events }, key));
}

/** An audit log with three acknowledged batches over two days, removed when the test ends. */
async function auditLogOfThreeBatches(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = auditLogPath(dir);
  const key = await importTenantKey((await generateTenantKey()).privateJwk);
  let now = DAY1;
  const log = openAuditLog(path, { clock: () => now });
  log.record({ kind: 'usage', data: await batch(key, 1, 'usage', 3), hubSeq: 10 });
  log.record({ kind: 'otel', data: await batch(key, 2, 'otel', 2), hubSeq: 11 });
  now = DAY2;
  log.record({ kind: 'usage', data: await batch(key, 3, 'usage', 5), hubSeq: 12 });
  log.close();
  return { dir, path, key };
}

test('the audit chain verifies and counts what crossed per day and kind', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, true);
  assert.equal(s.records, 3);
  assert.deepEqual(s.perDay['2026-01-01'].usage, { batches: 1, events: 3 });
  assert.deepEqual(s.perDay['2026-01-01'].otel, { batches: 1, events: 2 });
  assert.deepEqual(s.perDay['2026-01-02'].usage, { batches: 1, events: 5 });
});

test('an edited record breaks the chain at that record', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  const r = JSON.parse(lines[1]);
  r.events = 1; // a reviewer is told fewer events left than did
  lines[1] = JSON.stringify(r);
  writeFileSync(f.path, `${lines.join('\n')}\n`);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, false);
  assert.equal(s.broken?.line, 2);
  assert.match(s.broken!.reason, /hash/);
});

test('a removed record breaks the chain at the record after it', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  writeFileSync(f.path, `${[lines[0], lines[2]].join('\n')}\n`);
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, false);
  assert.equal(s.broken?.line, 2);
});

test('a torn last line (crash mid-write) is cut on reopen and the chain continues intact', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  appendFileSync(f.path, '{"index":3,"prevHash":"ab');
  assert.equal(verifyAuditLog(f.path).tornTail, true);
  const log = openAuditLog(f.path, { clock: () => DAY2 });
  log.record({ kind: 'usage', data: await batch(f.key, 4, 'usage', 1), hubSeq: 13 });
  log.close();
  const s = verifyAuditLog(f.path);
  assert.equal(s.ok, true);
  assert.equal(s.tornTail, false);
  assert.equal(s.records, 4);
});

test('a re-forwarded batch acknowledged again (duplicate) is recorded once, also across a restart', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const again = await batch(f.key, 5, 'usage', 2);
  const log = openAuditLog(f.path, { clock: () => DAY2 });
  assert.equal(log.record({ kind: 'usage', data: again, hubSeq: 14 }), true);
  assert.equal(log.record({ kind: 'usage', data: again, hubSeq: 14 }), false);
  log.close();
  const reopened = openAuditLog(f.path, { clock: () => DAY2 });
  assert.equal(reopened.record({ kind: 'usage', data: again, hubSeq: 14 }), false);
  reopened.close();
  assert.equal(verifyAuditLog(f.path).records, 4);
});

test('npm run audit:verify prints per-day counts and exits 0; on a broken chain it exits 1 naming the line', async (t) => {
  const f = await auditLogOfThreeBatches(t);
  const node = join(ROOT, 'node_modules/.bin/node');
  const ok = execFileSync(node, [join(ROOT, 'customer-plane/audit-verify.ts'), '--state-dir', f.dir], { encoding: 'utf8' });
  assert.match(ok, /2026-01-01\s+0\/0\s+1\/2\s+1\/3\s+0\/0/);
  assert.match(ok, /chain intact/);
  const lines = readFileSync(f.path, 'utf8').trim().split('\n');
  lines[2] = lines[2].replace('"hubSeq":12', '"hubSeq":99');
  writeFileSync(f.path, `${lines.join('\n')}\n`);
  const bad = spawnSync(node, [join(ROOT, 'customer-plane/audit-verify.ts'), '--file', f.path], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /CHAIN BROKEN at line 3/);
});
