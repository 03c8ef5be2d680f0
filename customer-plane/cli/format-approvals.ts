import type { ApprovalRecord } from '../approvals/store.ts';
import { visible } from './terminal-text.ts';

/**
 * Approvals as `npm run approvals` prints them. Previews hold repository text (paths, diffs, argv a
 * model chose): control characters are made visible, so what is shown cannot drive the terminal.
 */
/** Left-aligned in a column n wide; a longer value is shown whole (the row shifts, nothing is cut). */
const pad = (s: string, n: number) => s.padEnd(n);

/** One argv as a person would type it: words with spaces or quotes are JSON-quoted. */
export function shownArgv(argv: readonly string[]): string {
  return argv.map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

function action(a: ApprovalRecord): string {
  const p = a.preview;
  if (p.argv?.length) return p.argv.map(shownArgv).join(' | ');
  if (p.url) return p.url;
  if (p.paths?.length) return `${a.tool} ${p.paths.join(', ')}`;
  return a.tool;
}

function left(deadlineAt: string, now: number): string {
  const s = Math.round((Date.parse(deadlineAt) - now) / 1000);
  if (s <= 0) return 'past its deadline';
  return s >= 120 ? `${Math.round(s / 60)} min left` : `${s} s left`;
}

export function formatApprovalList(list: ApprovalRecord[], now: number): string {
  if (list.length === 0) return 'no approvals\n';
  const lines = [`${pad('APPROVAL', 27)} ${pad('STATUS', 26)} ${pad('ENVIRONMENT', 12)} ${pad('AGENT', 18)} ${pad('REASON', 21)} ACTION`];
  for (const a of list) {
    const status = a.status === 'pending' ? `pending, ${left(a.deadlineAt, now)}` : a.status;
    lines.push(
      `${pad(a.id, 27)} ${pad(status, 26)} ${pad(a.environment, 12)} ${pad(a.agent, 18)} ${pad(a.reason, 21)} ${visible(action(a)).slice(0, 120)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatApproval(a: ApprovalRecord, now: number): string {
  const p = a.preview;
  const out: string[] = [];
  out.push(`approval ${a.id}  ${a.status}${a.status === 'pending' ? ` (${left(a.deadlineAt, now)})` : ''}`);
  out.push(`  run ${a.runId}, step ${a.stepId}, call ${a.seq}`);
  out.push(`  agent ${a.agent}, tool ${a.tool}, environment ${a.environment} (autonomy ${a.autonomy})`);
  out.push(`  asked because: ${a.reason}${a.consequences.length ? ` (${a.consequences.join(', ')})` : ''}`);
  out.push(`  asked ${a.createdAt}, deadline ${a.deadlineAt}`);
  if (a.decidedAt)
    out.push(`  ${a.status} ${a.decidedAt}${a.decidedBy ? ` by ${visible(a.decidedBy)}` : ''}${a.note ? `: ${visible(a.note)}` : ''}`);
  out.push('', 'what it would do');
  for (const argv of p.argv ?? []) out.push(`  run: ${visible(shownArgv(argv))}`);
  if (p.cwd) out.push(`  in: ${visible(p.cwd)}`);
  for (const [k, v] of Object.entries(p.env ?? {})) out.push(`  env: ${visible(`${k}=${v}`)}`);
  if (p.secrets?.length) out.push(`  secrets it uses (names only): ${p.secrets.join(', ')}`);
  if (p.url) out.push(`  url: ${visible(p.url)}`);
  if (p.paths?.length) out.push(`  touches: ${p.paths.map((x) => visible(x)).join(', ')}`);
  if (p.diff) out.push('  diff:', visible(p.diff.endsWith('\n') ? p.diff.slice(0, -1) : p.diff, true));
  if (a.status === 'pending') out.push('', `decide: npm run approvals -- approve ${a.id}   or   npm run approvals -- reject ${a.id}`);
  return `${out.join('\n')}\n`;
}
