import type { RunRecord, RunSummary } from '../runner/ledger/records.ts';
import { visible } from './terminal-text.ts';

/** Left-aligned in a column n wide; a longer value is shown whole (the row shifts, nothing is cut). */
const pad = (s: string, n: number) => s.padEnd(n);

export function formatRunList(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs yet\n';
  const lines = [
    `${pad('RUN', 27)} ${pad('TEMPLATE', 17)} ${pad('REPO', 14)} ${pad('STATUS', 10)} ${pad('ERROR', 20)} STEPS FINDINGS CREATED`,
  ];
  for (const r of runs) {
    lines.push(
      `${pad(r.id, 27)} ${pad(r.template, 17)} ${pad(visible(r.repo), 14)} ${pad(r.status, 10)} ${pad(r.errorCode, 20)} ${pad(`${r.stepsSucceeded}/${r.steps}`, 5)} ${pad(String(r.findings), 8)} ${r.createdAt}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatRun(r: RunRecord): string {
  const out: string[] = [];
  out.push(`run ${r.id}  ${r.template} on ${visible(r.repo)}  ${r.status}${r.errorCode !== 'none' ? ` (${r.errorCode})` : ''}`);
  out.push(`  environment ${r.environment}, deliveries ${r.attempts}, created ${r.createdAt}, finished ${r.finishedAt ?? '—'}`);
  out.push('', 'steps');
  for (const s of r.stepList) {
    const time = s.durationMs === null ? '—' : `${(s.durationMs / 1000).toFixed(1)} s`;
    out.push(
      `  ${s.idx + 1}. ${pad(visible(s.key), 12)} ${pad(s.agent, 22)} ${pad(s.status, 9)} ${pad(s.errorCode, 20)} ${pad(time, 8)} tools ${s.toolCalls} (${s.refusals} refused)  llm ${s.llmCalls} (${s.inputTokens}/${s.outputTokens} tokens)${s.attempt > 1 ? `  attempt ${s.attempt}` : ''}`,
    );
    if (s.summary) out.push(`     ${visible(s.summary.split('\n')[0].slice(0, 200))}`);
  }
  out.push('', `findings (${r.findingList.length})`);
  for (const f of r.findingList) {
    out.push(
      `  ${pad(f.severity, 8)} ${visible(f.file || '(repository)')}${f.line ? `:${f.line}` : ''}  ${visible(f.rule)}  [${visible(f.stepKey)}]`,
    );
    out.push(`           ${visible(f.message)}`);
  }
  out.push('', `patches (${r.patchList.length})`);
  for (const p of r.patchList) {
    out.push(`  --- ${p.kind} by step ${visible(p.stepKey)}: ${visible(p.title)}`);
    out.push(visible(p.diff.endsWith('\n') ? p.diff.slice(0, -1) : p.diff, true));
  }
  if (r.refusalList.length) {
    out.push('', 'refused or asked tool calls');
    for (const g of r.refusalList) {
      out.push(
        `  ${pad(visible(g.stepKey), 12)} ${pad(g.tool, 12)} ${pad(g.decision, 5)} ${pad(g.reason, 24)}${g.approval !== 'none' ? ` approval ${g.approval}` : ''} ×${g.count}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
