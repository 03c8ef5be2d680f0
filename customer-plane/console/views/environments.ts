import type { Environment } from '../../environments/environments.ts';
import type { AutonomyRow } from '../../memory/standing.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge, page, type Viewer, when } from './layout.ts';

const duration = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

function levelTable(rows: AutonomyRow[]): SafeHtml {
  if (rows.length === 0) return html`<p>No agents.</p>`;
  return html`<table class="autonomy"><thead><tr><th>Agent</th><th>Level</th><th>Successes</th><th>Failures</th><th>Overrides</th><th>Success rate</th><th>In a row (ok / failed)</th><th>Last change</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td>${r.agent}</td><td><span class="level ${r.level}">${r.level}</span></td><td class="num">${r.successes}</td>
<td class="num">${r.failures}</td><td class="num">${r.overrides}</td><td class="num">${`${Math.round(r.successRate * 100)}%`}</td>
<td class="num">${r.consecutiveSuccesses} / ${r.consecutiveFailures}</td><td>${r.changedAt ? html`${when(r.changedAt)} (${r.changeReason ?? ''})` : '—'}</td></tr>`,
)}
</tbody></table>`;
}

/** The environments as configured, each with every agent's autonomy level there. */
export function environmentsPage(o: { source: string; environments: Environment[]; levels: AutonomyRow[]; viewer: Viewer }): SafeHtml {
  const sections = o.environments.map((e) => {
    const reviewed = e.reviewed ? Object.entries(e.reviewed) : undefined;
    return html`<section class="environment">
<h2>${e.name}</h2>
<dl class="facts">
<dt>Secrets it may name</dt><dd><code>${e.secrets.prefix}</code>…</dd>
<dt>Templates</dt><dd>${e.templates.join(', ')}</dd>
<dt>Writes</dt><dd>${e.writes === 'ask' ? badge('every write asks a person') : 'allowed'}</dd>
<dt>Acts alone from</dt><dd>${e.actAloneFrom}</dd>
<dt>Approval deadline</dt><dd>${duration(e.approval.deadlineSeconds)} (warning ${duration(e.approval.warnBeforeSeconds)} before)</dd>
${
  reviewed
    ? html`<dt>Reviewed templates</dt><dd>${reviewed.length ? html`<ul>${reviewed.map(([t, h]) => html`<li>${t}: <code>${h}</code></li>`)}</ul>` : 'none pinned: no template runs here yet'}</dd>`
    : ''
}
</dl>
<h3>Autonomy levels</h3>
${levelTable(o.levels.filter((r) => r.environment === e.name))}
</section>`;
  });
  return page({
    title: 'Environments',
    viewer: o.viewer,
    current: '/environments',
    body: html`<p>From <code>${o.source}</code>. Levels: <em>observe</em> proposes only, <em>assisted</em> acts with approval, <em>autonomous</em> acts within policy (never in production).</p>
${sections}`,
  });
}
