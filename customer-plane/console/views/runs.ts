import type { ApprovalRecord } from '../../approvals/store.ts';
import type { RunRecord, RunSummary } from '../../runner/ledger/records.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { renderDiff } from './diff.ts';
import { badge, page, type Viewer, when } from './layout.ts';

export function runListPage(runs: RunSummary[], viewer: Viewer): SafeHtml {
  const rows = runs.map(
    (r) => html`<tr>
<td><a href="${path('/runs', r.id)}"><code>${r.id}</code></a></td>
<td>${r.template}</td><td>${r.repo}</td><td>${badge(r.status)}</td><td>${r.errorCode === 'none' ? '' : html`<code>${r.errorCode}</code>`}</td>
<td class="num">${r.stepsSucceeded}/${r.steps}</td><td class="num">${r.findings}</td><td>${when(r.createdAt)}</td>
</tr>`,
  );
  return page({
    title: 'Runs',
    viewer,
    current: '/runs',
    body: runs.length
      ? html`<table><thead><tr><th>Run</th><th>Template</th><th>Repository</th><th>Status</th><th>Error</th><th>Steps ok</th><th>Findings</th><th>Created</th></tr></thead>
<tbody>${rows}</tbody></table>`
      : html`<p>No runs yet.</p>`,
  });
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** One run: its steps, the approvals it waits on, its findings and patches (diffs rendered), and what the gate refused or asked. */
export function runPage(r: RunRecord, pending: ApprovalRecord[], viewer: Viewer): SafeHtml {
  const steps = r.stepList.map(
    (s) => html`<tr>
<td class="num">${s.idx + 1}</td><td><code>${s.key}</code></td><td>${s.agent}</td><td>${badge(s.status)}</td>
<td>${s.errorCode === 'none' ? '' : html`<code>${s.errorCode}</code>`}</td><td class="num">${seconds(s.durationMs)}</td>
<td class="num">${s.toolCalls} (${s.refusals} refused)</td><td class="num">${s.llmCalls} (${s.inputTokens}/${s.outputTokens})</td>
<td class="summary">${s.summary ?? ''}${s.attempt > 1 ? html` <span class="note">attempt ${s.attempt}</span>` : ''}</td>
</tr>`,
  );
  const waits = pending.length
    ? html`<section class="pending"><h2>Waiting for a person</h2><ul>${pending.map(
        (a) =>
          html`<li><a href="${path('/approvals', a.id)}">${a.tool} asked by ${a.agent}</a> (${a.reason}), deadline ${when(a.deadlineAt)}</li>`,
      )}</ul></section>`
    : '';
  const findings = r.findingList.map(
    (f) => html`<tr>
<td>${badge(f.severity)}</td><td class="where"><code>${f.file || '(repository)'}${f.line ? `:${f.line}` : ''}</code></td><td><code>${f.rule}</code></td>
<td class="message">${f.message}</td><td><code>${f.stepKey}</code></td>
</tr>`,
  );
  const patches = r.patchList.map(
    (p) =>
      html`<article class="patch"><h3>${p.title} <span class="note">${p.kind} by step <code>${p.stepKey}</code></span></h3>${renderDiff(p.diff)}</article>`,
  );
  const refusals = r.refusalList.map(
    (g) => html`<tr><td><code>${g.stepKey}</code></td><td>${g.tool}</td><td>${g.decision}</td><td><code>${g.reason}</code></td>
<td>${g.approval === 'none' ? '' : badge(g.approval)}</td><td class="num">${g.count}</td></tr>`,
  );
  return page({
    title: `Run ${r.id}`,
    viewer,
    current: '/runs',
    body: html`<dl class="facts">
<dt>Template</dt><dd>${r.template}</dd><dt>Repository</dt><dd>${r.repo}</dd><dt>Environment</dt><dd>${r.environment}</dd>
<dt>Status</dt><dd>${badge(r.status)}${r.errorCode === 'none' ? '' : html` <code>${r.errorCode}</code>`}</dd>
<dt>Created</dt><dd>${when(r.createdAt)}</dd><dt>Finished</dt><dd>${when(r.finishedAt)}</dd><dt>Deliveries</dt><dd>${r.attempts}</dd>
</dl>
${waits}
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>Step</th><th>Agent</th><th>Status</th><th>Error</th><th>Time</th><th>Tool calls</th><th>LLM calls (tokens in/out)</th><th>Summary</th></tr></thead>
<tbody>${steps}</tbody></table>
<h2>Findings (${r.findingList.length})</h2>
${findings.length ? html`<table class="findings"><thead><tr><th>Severity</th><th>Where</th><th>Rule</th><th>Message</th><th>Step</th></tr></thead><tbody>${findings}</tbody></table>` : html`<p>None.</p>`}
<h2>Patches (${r.patchList.length})</h2>
${patches.length ? patches : html`<p>None.</p>`}
${refusals.length ? html`<h2>Refused or asked tool calls</h2><table><thead><tr><th>Step</th><th>Tool</th><th>Decision</th><th>Reason</th><th>Approval</th><th>Count</th></tr></thead><tbody>${refusals}</tbody></table>` : ''}`,
  });
}
