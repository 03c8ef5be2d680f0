import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { auditLogPath, verifyAuditLog } from './egress/audit-log.ts';
import { UP_KINDS } from '../shared/subjects.ts';

/**
 * `npm run audit:verify -- --state-dir <dir>` (or `--file <path>`): checks the local egress audit
 * chain and prints what crossed to the vendor, per day and kind. Exit 0 = chain intact; 1 = broken
 * (the first broken record is named); 2 = usage or missing file. Add `--json` for machine output.
 */
function main(): number {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const file = values.file ?? (values['state-dir'] ? auditLogPath(values['state-dir']) : undefined);
  if (!file) {
    process.stderr.write('usage: audit-verify --file <egress-audit.jsonl> | --state-dir <customer-plane state dir> [--json]\n');
    return 2;
  }
  if (!existsSync(file)) {
    process.stderr.write(`audit log not found: ${file}\n`);
    return 2;
  }
  const s = verifyAuditLog(file);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, ...s })}\n`);
    return s.ok ? 0 : 1;
  }
  process.stdout.write(`audit log: ${file}\n`);
  process.stdout.write(
    `records checked: ${s.records}${s.tornTail ? ' (a torn last line from a crash was ignored; its batch is recorded again when re-forwarded)' : ''}\n`,
  );
  process.stdout.write('what crossed to the control plane (batches / events), per UTC day and kind:\n');
  process.stdout.write(`${['day       ', ...UP_KINDS.map((k) => k.padStart(16))].join(' ')}\n`);
  for (const day of Object.keys(s.perDay).sort()) {
    const row = UP_KINDS.map((k) => `${s.perDay[day][k].batches}/${s.perDay[day][k].events}`.padStart(16));
    process.stdout.write(`${[day, ...row].join(' ')}\n`);
  }
  if (!s.ok) {
    process.stdout.write(
      `CHAIN BROKEN at line ${s.broken!.line}${s.broken!.index !== undefined ? ` (record index ${s.broken!.index})` : ''}: ${s.broken!.reason}\n`,
    );
    process.stdout.write('records before that line are intact; counts above stop there.\n');
    return 1;
  }
  process.stdout.write('chain intact: every record links to the one before it.\n');
  return 0;
}

process.exitCode = main();
