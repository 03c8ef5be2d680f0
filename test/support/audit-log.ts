import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTenantKey, importTenantKey, signBatch, type TenantSigningKey } from '../../shared/signing.ts';
import { newUlid } from '../../shared/ids.ts';
import { auditLogPath, openAuditLog, recordHash, type AuditRecord } from '../../customer-plane/egress/audit-log.ts';
import { usageEvent } from './usage-event.ts';

const TENANT = '00000000-0000-4000-8000-000000000001';
export const DAY1 = Date.UTC(2026, 0, 1, 12);
export const DAY2 = Date.UTC(2026, 0, 2, 12);

type Cleanup = { after(fn: () => void): void };

export async function newBatchKey(): Promise<TenantSigningKey> {
  return importTenantKey((await generateTenantKey()).privateJwk);
}

/** A batch signed as the egress signs it: the bytes the forwarder sends and the audit log describes. */
export async function signedBatch(key: TenantSigningKey, seq: number, kind: 'usage' | 'otel', n: number): Promise<Uint8Array> {
  const events = Array.from({ length: n }, () =>
    kind === 'otel'
      ? { eventId: newUlid(), metric: 'runner.memory.rss_bytes', kind: 'gauge', at: DAY1, value: 1 }
      : usageEvent({ day: '2026-01-01' }),
  );
  return new TextEncoder().encode(await signBatch({ tenant: TENANT, seq, iat: Math.floor(DAY1 / 1000), kind, events }, key));
}

export function tempStateDir(t: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * An audit log with three acknowledged batches, written at `days` (default: two on DAY1, one on DAY2):
 * usage seq 1 (3 events, hub 10), otel seq 2 (2 events, hub 11), usage seq 3 (5 events, hub 12).
 */
export async function auditLogOfThreeBatches(t: Cleanup, days: [number, number, number] = [DAY1, DAY1, DAY2]) {
  const dir = tempStateDir(t);
  const path = auditLogPath(dir);
  const key = await newBatchKey();
  let now = days[0];
  const log = openAuditLog(path, { clock: () => now });
  log.record({ kind: 'usage', data: await signedBatch(key, 1, 'usage', 3), hubSeq: 10 });
  now = days[1];
  log.record({ kind: 'otel', data: await signedBatch(key, 2, 'otel', 2), hubSeq: 11 });
  now = days[2];
  log.record({ kind: 'usage', data: await signedBatch(key, 3, 'usage', 5), hubSeq: 12 });
  log.close();
  return { dir, path, key };
}

/** The log's records as written, one per complete line. */
export function readRecords(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditRecord);
}

/** Rewrites the log as a tamperer with write access would: whole lines, each newline-terminated. */
export function writeLines(path: string, lines: string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** A tamperer who knows the hash rule recomputes an edited record's own hash: only the chain's links can catch it. */
export function resealed(r: AuditRecord): string {
  return JSON.stringify({ ...r, hash: recordHash(r) });
}
