import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { OperatorError } from '../../shared/errors.ts';
import { UP_KINDS, type UpKind } from '../../shared/subjects.ts';
import type { Forwarded } from './forwarder.ts';

/**
 * The customer's own record of everything that crossed the link: one JSON line per batch the hub
 * acknowledged, appended and fsynced before the outbox message is acked. Each record holds the
 * previous record's hash, so an edited, removed or reordered record breaks the chain at that point
 * (`npm run audit:verify`). `digest` is the sha256 of the signed JWS bytes — the same digest the
 * control plane stores for the batch — so both sides can be compared batch by batch.
 *
 * A re-forwarded batch (lost ack, crash between hub ack and outbox ack) comes back from the hub as a
 * duplicate. It is recorded only if its `kid:seq` is not in the log already: a batch appears once,
 * whether its first ack was lost or not.
 */
export const AUDIT_LOG_FILE = 'egress-audit.jsonl';
export const auditLogPath = (stateDir: string) => join(stateDir, 'audit', AUDIT_LOG_FILE);
export const GENESIS_HASH = '0'.repeat(64);

export type AuditRecord = {
  index: number;
  prevHash: string;
  hash: string;
  /** When the hub's ack was recorded (ms since epoch). */
  at: number;
  kind: UpKind;
  seq: number;
  kid: string;
  /** How many events the batch carried. */
  events: number;
  /** sha256 (hex) of the signed JWS as sent. */
  digest: string;
  /** The hub stream's sequence for the batch. */
  hubSeq: number;
};

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  const { index, prevHash, at, kind, seq, kid, events, digest, hubSeq } = r;
  return createHash('sha256').update(canonicalJson({ index, prevHash, at, kind, seq, kid, events, digest, hubSeq })).digest('hex');
}

/** Reads kid, seq and event count from a JWS we signed ourselves (no verification needed here). */
export function describeJws(data: Uint8Array): { kid: string; seq: number; events: number; digest: string } {
  const text = new TextDecoder().decode(data);
  const [h, p] = text.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { kid?: string };
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { seq?: number; events?: unknown[] };
  return {
    kid: String(header.kid ?? ''),
    seq: Number(payload.seq),
    events: Array.isArray(payload.events) ? payload.events.length : 0,
    digest: createHash('sha256').update(data).digest('hex'),
  };
}

/** One line of the log as a record, or why it is none (a damaged record is still a record: the check names the damage). */
/**
 * A record's fields and their types. The hash proves a record unchanged only against someone who does not
 * re-hash it; a tamperer who does can write any value, and the check must name the line, not crash on it
 * (a time outside the date range, a count that is text). The kind is checked against UP_KINDS afterwards.
 */
const auditRecordSchema = z.object({
  index: z.number().int().nonnegative(),
  prevHash: z.string(),
  hash: z.string(),
  at: z.number().int().min(0).max(8.64e15),
  kind: z.string(),
  seq: z.number().int(),
  kid: z.string(),
  events: z.number().int().nonnegative(),
  digest: z.string(),
  hubSeq: z.number().int(),
});

function parseRecord(line: string): AuditRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const parsed = auditRecordSchema.safeParse(value);
  return parsed.success ? (parsed.data as AuditRecord) : 'not a record';
}

/** How many recent kid:seq ids are remembered to skip duplicates (far more than the outbox holds in flight). */
const REMEMBERED = 200_000;

export function openAuditLog(path: string, opts: { clock?: () => number } = {}) {
  const clock = opts.clock ?? Date.now;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let index = -1;
  let prevHash = GENESIS_HASH;
  const seen = new Set<string>();
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    // A crash mid-write leaves a last line without its newline: that record never completed (its
    // batch was not acked in the outbox, so it will be forwarded and recorded again). Cut it off.
    if (end < text.length) {
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    for (const [i, line] of text.slice(0, end).split('\n').entries()) {
      if (!line) continue;
      const r = parseRecord(line);
      if (typeof r === 'string') {
        // The plane must not start a new chain over a damaged one: the operator keeps the file and decides.
        throw new OperatorError(
          'audit_log_corrupt',
          `audit log ${path} is corrupt at line ${i + 1}; run \`npm run audit:verify\` and keep the file for review`,
        );
      }
      index = r.index;
      prevHash = r.hash;
      remember(`${r.kid}:${r.seq}`);
    }
  }
  const fd = openSync(path, 'a', 0o600);

  function remember(id: string): void {
    seen.add(id);
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as string);
  }

  return {
    path,
    /** Appends (and fsyncs) one record for a batch the hub acknowledged; false if it is already recorded. */
    record(f: Pick<Forwarded, 'kind' | 'data' | 'hubSeq'>): boolean {
      const d = describeJws(f.data);
      const id = `${d.kid}:${d.seq}`;
      if (seen.has(id)) return false;
      const body = {
        index: index + 1,
        prevHash,
        at: clock(),
        kind: f.kind,
        seq: d.seq,
        kid: d.kid,
        events: d.events,
        digest: d.digest,
        hubSeq: f.hubSeq,
      };
      const rec: AuditRecord = { ...body, hash: recordHash(body) };
      // One write per line: a crash can tear only the last line, which reopening cuts off.
      writeSync(fd, `${JSON.stringify(rec)}\n`);
      fsyncSync(fd);
      index = rec.index;
      prevHash = rec.hash;
      remember(id);
      return true;
    },
    close(): void {
      closeSync(fd);
    },
  };
}
export type AuditLog = ReturnType<typeof openAuditLog>;

export type AuditSummary = {
  ok: boolean;
  records: number;
  /** The first record that breaks the chain (1-based line), with why. */
  broken?: { line: number; index?: number; reason: string };
  tornTail: boolean;
  /** day (UTC, YYYY-MM-DD) → kind → batches and events. */
  perDay: Record<string, Record<UpKind, { batches: number; events: number }>>;
  /** With `collect`: the verified records it chose, in chain order (at most `maxCollected`). */
  collected?: AuditRecord[];
};

/**
 * Checks every record's hash, index and link to its predecessor; counts what crossed per day and kind.
 * `collect` picks records to return (the console lists a day's batches with it); only records the
 * check reached before a break are offered to it.
 */
export function verifyAuditLog(path: string, opts: { collect?: (r: AuditRecord) => boolean; maxCollected?: number } = {}): AuditSummary {
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const summary: AuditSummary = { ok: true, records: 0, tornTail: end < text.length, perDay: {} };
  if (opts.collect) summary.collected = [];
  let prev = GENESIS_HASH;
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  for (const [i, line] of lines.entries()) {
    const fail = (reason: string, index?: number) => {
      summary.ok = false;
      summary.broken = { line: i + 1, index, reason };
      return summary;
    };
    const r = parseRecord(line);
    if (typeof r === 'string') return fail(r);
    if (r.index !== i) return fail(`index ${r.index} where ${i} was expected`, r.index);
    if (r.prevHash !== prev) return fail('prevHash does not match the previous record', r.index);
    if (!(UP_KINDS as readonly string[]).includes(r.kind)) return fail('unknown kind', r.index);
    if (recordHash(r) !== r.hash) return fail('hash does not match the record (edited)', r.index);
    prev = r.hash;
    summary.records += 1;
    const day = new Date(r.at).toISOString().slice(0, 10);
    const kinds = (summary.perDay[day] ??= Object.fromEntries(
      UP_KINDS.map((k) => [k, { batches: 0, events: 0 }]),
    ) as AuditSummary['perDay'][string]);
    kinds[r.kind].batches += 1;
    kinds[r.kind].events += r.events;
    if (summary.collected && summary.collected.length < (opts.maxCollected ?? Number.POSITIVE_INFINITY) && opts.collect!(r))
      summary.collected.push(r);
  }
  return summary;
}
