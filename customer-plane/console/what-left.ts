import { existsSync } from 'node:fs';
import { type AuditRecord, type AuditSummary, verifyAuditLog } from '../egress/audit-log.ts';

/** Batches listed on one page of a day. */
export const BATCHES_PER_PAGE = 500;

export type WhatLeft =
  | { exists: false; path: string }
  | { exists: true; path: string; summary: AuditSummary; day?: string; batches: AuditRecord[]; nextAfter?: number };

/**
 * The audit chain's view of what crossed to the vendor, read from the customer plane's own chain
 * (`npm run audit:verify` checks the same file the same way): whether the chain is intact (or where it
 * breaks), batches and events per UTC day and kind, and — for one day — each batch with its digest,
 * a page at a time (`after` = the last index already shown).
 */
export function readWhatLeft(path: string, o: { day?: string; after?: number } = {}): WhatLeft {
  if (!existsSync(path)) return { exists: false, path };
  const after = o.after ?? -1;
  const day = o.day;
  const summary = verifyAuditLog(
    path,
    day ? { collect: (r) => r.index > after && new Date(r.at).toISOString().slice(0, 10) === day, maxCollected: BATCHES_PER_PAGE + 1 } : {},
  );
  const collected = summary.collected ?? [];
  const batches = collected.slice(0, BATCHES_PER_PAGE);
  return {
    exists: true,
    path,
    summary,
    day,
    batches,
    nextAfter: collected.length > BATCHES_PER_PAGE ? batches[batches.length - 1].index : undefined,
  };
}
