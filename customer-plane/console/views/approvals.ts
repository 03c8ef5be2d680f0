import { APPROVAL_STATUSES, type ApprovalRecord } from '../../approvals/store.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { renderDiff } from './diff.ts';
import { badge, csrfField, page, type Viewer, when } from './layout.ts';

/** One argv as a person would type it: words with spaces or quotes JSON-quoted (then escaped as text). */
const shownArgv = (argv: readonly string[]) => argv.map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');

function left(deadlineAt: string, now: number): string {
  const s = Math.round((Date.parse(deadlineAt) - now) / 1000);
  if (s <= 0) return 'past its deadline';
  return s >= 120 ? `${Math.round(s / 60)} min left` : `${s} s left`;
}

function action(a: ApprovalRecord): string {
  const p = a.preview;
  if (p.argv?.length) return p.argv.map(shownArgv).join(' | ');
  if (p.url) return p.url;
  if (p.paths?.length) return `${a.tool} ${p.paths.join(', ')}`;
  return a.tool;
}

export function approvalListPage(o: { approvals: ApprovalRecord[]; status: string; now: number; viewer: Viewer }): SafeHtml {
  const filters = [...APPROVAL_STATUSES, 'all'].map((s) =>
    s === o.status ? html`<strong>${s}</strong>` : html`<a href="${`/approvals?status=${s}`}">${s}</a>`,
  );
  const rows = o.approvals.map(
    (a) => html`<tr>
<td><a href="${path('/approvals', a.id)}"><code>${a.id}</code></a></td>
<td>${badge(a.status)}${a.status === 'pending' ? html` <span class="note">${left(a.deadlineAt, o.now)}</span>` : ''}</td>
<td>${a.environment}</td><td>${a.agent}</td><td>${a.tool}</td><td><code>${a.reason}</code></td><td class="action"><code>${action(a).slice(0, 200)}</code></td>
<td><a href="${path('/runs', a.runId)}">run</a></td>
</tr>`,
  );
  return page({
    title: 'Approvals',
    viewer: o.viewer,
    current: '/approvals',
    body: html`<p class="filters">Show: ${filters.map((f, i) => html`${i ? ' · ' : ''}${f}`)}</p>
${
  rows.length
    ? html`<table><thead><tr><th>Approval</th><th>Status</th><th>Environment</th><th>Agent</th><th>Tool</th><th>Why asked</th><th>Action</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p>No ${o.status === 'all' ? '' : `${o.status} `}approvals.</p>`
}`,
  });
}

/** One approval: everything the gate knows about the action, and — while it is pending — the decision form. */
export function approvalPage(a: ApprovalRecord, now: number, viewer: NonNullable<Viewer>): SafeHtml {
  const p = a.preview;
  const decided = a.decidedAt
    ? html`<p class="decided">${badge(a.status)} ${when(a.decidedAt)}${a.decidedBy ? html` by <strong>${a.decidedBy}</strong>` : ''}${a.note ? html`: ${a.note}` : ''}</p>`
    : '';
  const form =
    a.status === 'pending'
      ? html`<form method="post" action="${path('/approvals', a.id, 'decision')}" class="decision">
${csrfField(viewer)}
<label for="note">Note (optional, kept with the decision)</label>
<textarea id="note" name="note" maxlength="500" rows="2"></textarea>
<div class="buttons">
<button type="submit" name="decision" value="approve" class="approve">Approve</button>
<button type="submit" name="decision" value="reject" class="reject">Reject</button>
</div>
</form>`
      : '';
  return page({
    title: `Approval ${a.id}`,
    viewer,
    current: '/approvals',
    body: html`<dl class="facts">
<dt>Status</dt><dd>${badge(a.status)}${a.status === 'pending' ? html` <span class="note">${left(a.deadlineAt, now)}, deadline ${when(a.deadlineAt)}</span>` : ''}</dd>
<dt>Run</dt><dd><a href="${path('/runs', a.runId)}"><code>${a.runId}</code></a>, step <code>${a.stepId}</code>, call ${a.seq}</dd>
<dt>Agent</dt><dd>${a.agent} (autonomy ${a.autonomy})</dd>
<dt>Environment</dt><dd>${a.environment}</dd>
<dt>Tool</dt><dd>${a.tool}</dd>
<dt>Why asked</dt><dd><code>${a.reason}</code>${a.consequences.length ? ` (${a.consequences.join(', ')})` : ''}</dd>
<dt>Asked</dt><dd>${when(a.createdAt)}</dd>
</dl>
${decided}
<h2>What it would do</h2>
<dl class="preview">
${(p.argv ?? []).map((argv) => html`<dt>Command</dt><dd><code class="argv">${shownArgv(argv)}</code></dd>`)}
${p.cwd ? html`<dt>Working directory</dt><dd><code>${p.cwd}</code></dd>` : ''}
${p.env && Object.keys(p.env).length ? html`<dt>Environment it sets</dt><dd>${Object.entries(p.env).map(([k, v], i) => html`${i ? ', ' : ''}<code>${k}=${v}</code>`)}</dd>` : ''}
${p.secrets?.length ? html`<dt>Secrets it uses (names only)</dt><dd>${p.secrets.map((s, i) => html`${i ? ', ' : ''}<code>${s}</code>`)}</dd>` : ''}
${p.url ? html`<dt>URL</dt><dd><code>${p.url}</code></dd>` : ''}
${p.paths?.length ? html`<dt>Touches</dt><dd>${p.paths.map((x, i) => html`${i ? ', ' : ''}<code>${x}</code>`)}</dd>` : ''}
</dl>
${p.diff ? html`<h2>Diff</h2>${renderDiff(p.diff)}` : ''}
${form}`,
  });
}
