/**
 * `npm run approvals -- list [--status S|--all] [--json]`, `show <id> [--json]`, `approve <id> [--note T]`
 * and `reject <id> [--note T]`: the customer plane's pending approvals, decided by a person on the
 * customer plane's own database (DATABASE_URL) — the same store and rules as the local API, never the
 * control plane. A decision wakes the waiting run at once.
 */
import { userInfo } from 'node:os';
import { AgentplaneError } from '../../shared/errors.ts';
import { ULID_RE } from '../../shared/ids.ts';
import { APPROVAL_STATUSES, type ApprovalStatus, createApprovalStore, decisionNote } from '../approvals/store.ts';
import { formatApproval, formatApprovalList } from './format-approvals.ts';
import { openCliDatabase } from './database-url.ts';
import { runCli } from './run-cli.ts';

const USAGE = [
  'usage: npm run approvals -- list [--status pending|approved|rejected|expired|superseded|closed | --all] [--json]',
  '       npm run approvals -- show <approval id> [--json]',
  '       npm run approvals -- approve <approval id> [--note "why"]',
  '       npm run approvals -- reject <approval id> [--note "why"]',
].join('\n');

type Parsed =
  | { command: 'list'; status: ApprovalStatus | 'all'; json: boolean }
  | { command: 'show'; id: string; json: boolean }
  | { command: 'approve' | 'reject'; id: string; note?: string };

function parseArgs(argv: string[]): Parsed | string {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const args = rest.filter((a) => a !== '--json');
  if (command === 'list') {
    if (args.length === 0) return { command, status: 'pending', json };
    if (args.length === 1 && args[0] === '--all') return { command, status: 'all', json };
    if (args.length === 2 && args[0] === '--status' && (APPROVAL_STATUSES as readonly string[]).includes(args[1]))
      return { command, status: args[1] as ApprovalStatus, json };
    return 'list: --status takes one of pending, approved, rejected, expired, superseded, closed (or use --all)';
  }
  if (command === 'show' || command === 'approve' || command === 'reject') {
    const [id, ...more] = args;
    if (!id || !ULID_RE.test(id)) return `${command}: give one approval id (a ULID, as \`npm run approvals -- list\` prints it)`;
    if (command === 'show') return more.length ? 'show: takes only an approval id' : { command, id, json };
    if (json) return `${command}: --json is for list and show`;
    if (more.length === 0) return { command, id };
    if (more.length === 2 && more[0] === '--note') {
      const note = decisionNote.safeParse(more[1]);
      return note.success ? { command, id, note: note.data } : `${command}: --note takes text of at most 500 characters`;
    }
    return `${command}: unexpected ${more[0]}`;
  }
  return 'give a command: list, show, approve or reject';
}

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`approvals ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const db = openCliDatabase('approvals');
  const store = createApprovalStore(db);
  const now = Date.now();
  try {
    await store.expireOverdue(now);
    if (parsed.command === 'list') {
      const list = await store.list({ status: parsed.status });
      process.stdout.write(parsed.json ? `${JSON.stringify(list)}\n` : formatApprovalList(list, now));
      return 0;
    }
    if (parsed.command === 'show') {
      const approval = await store.get(parsed.id);
      if (!approval) {
        process.stderr.write(`approvals show: approval_not_found: no approval ${parsed.id} in this customer plane's database\n`);
        return 1;
      }
      process.stdout.write(parsed.json ? `${JSON.stringify(approval)}\n` : formatApproval(approval, now));
      return 0;
    }
    const decision = parsed.command === 'approve' ? 'approved' : 'rejected';
    const decided = await store.decide(parsed.id, decision, { who: who(), note: parsed.note, now });
    process.stdout.write(`approval ${decided.id} ${decided.status}; the waiting run continues\n`);
    return 0;
  } catch (err) {
    // A refused decision (unknown, expired, already decided, closed) is the person's answer, not a crash.
    if (err instanceof AgentplaneError && err.code.startsWith('approval_')) {
      process.stderr.write(`approvals ${parsed.command}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    if ((err as { code?: string }).code === '42P01') {
      process.stderr.write('approvals: no approvals tables in this database yet; start the customer plane once (it creates them)\n');
      return 1;
    }
    throw err;
  } finally {
    await db.end();
  }
}

runCli('approvals', main);
