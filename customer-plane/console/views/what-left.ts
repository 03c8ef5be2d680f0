import { UP_KINDS } from '../../../shared/subjects.ts';
import { html, type SafeHtml } from '../html.ts';
import type { WhatLeft } from '../what-left.ts';
import { badge, page, type Viewer, when } from './layout.ts';

const KIND_MEANING: Record<(typeof UP_KINDS)[number], string> = {
  meta: 'workflow metadata (ids, timing, agent names, status codes)',
  otel: 'metric points',
  usage: 'usage counters',
  patterns: 'anonymized pattern fingerprints',
};

function chainStatus(w: WhatLeft & { exists: true }): SafeHtml {
  const s = w.summary;
  if (s.ok)
    return html`<p class="chain">${badge('intact')} The chain is intact: ${s.records} records, each linked to the one before it.${
      s.tornTail ? ' (A torn last line from a crash was ignored; its batch is recorded again when re-forwarded.)' : ''
    }</p>`;
  return html`<p class="chain">${badge('broken')} The chain is broken at line ${s.broken!.line}${
    s.broken!.index !== undefined ? ` (record ${s.broken!.index})` : ''
  }: ${s.broken!.reason}. Records before it are intact; the counts below stop there. Keep the file for review.</p>`;
}

/** What crossed, per day and kind; with a day, that day's batches and their digests. */
export function whatLeftPage(w: WhatLeft, viewer: Viewer): SafeHtml {
  const title = w.exists && w.day ? `What left on ${w.day}` : 'What left';
  if (!w.exists)
    return page({
      title,
      viewer,
      current: '/what-left',
      body: html`<p>Nothing has crossed to the control plane yet: there is no audit chain at <code>${w.path}</code>.</p>`,
    });
  const days = Object.keys(w.summary.perDay).sort().reverse();
  const perDay = html`<table class="per-day"><thead><tr><th>Day (UTC)</th>${UP_KINDS.map((k) => html`<th title="${KIND_MEANING[k]}">${k}<br><span class="note">batches / events</span></th>`)}</tr></thead><tbody>
${days.map(
  (d) =>
    html`<tr><td><a href="${`/what-left/${d}`}">${d}</a></td>${UP_KINDS.map(
      (k) => html`<td class="num">${w.summary.perDay[d][k].batches} / ${w.summary.perDay[d][k].events}</td>`,
    )}</tr>`,
)}
</tbody></table>`;
  const batches = w.day
    ? html`<h2>Batches</h2>
${
  w.batches.length
    ? html`<table class="batches"><thead><tr><th>#</th><th>Acknowledged</th><th>Kind</th><th>Seq</th><th>Key</th><th>Events</th><th>Digest (sha256 of the signed batch)</th><th>Hub seq</th></tr></thead><tbody>
${w.batches.map(
  (
    b,
  ) => html`<tr><td class="num">${b.index}</td><td>${when(new Date(b.at).toISOString())}</td><td>${b.kind}</td><td class="num">${b.seq}</td>
<td><code>${b.kid}</code></td><td class="num">${b.events}</td><td><code class="digest">${b.digest}</code></td><td class="num">${b.hubSeq}</td></tr>`,
)}
</tbody></table>
${w.nextAfter !== undefined ? html`<p><a href="${`/what-left/${w.day}?after=${w.nextAfter}`}">More batches of ${w.day}</a></p>` : ''}`
    : html`<p>No batches crossed on ${w.day}${w.summary.ok ? '' : ' before the break'}.</p>`
}`
    : '';
  return page({
    title,
    viewer,
    current: '/what-left',
    body: html`<p>Every batch the hub acknowledged, from this plane’s own audit chain <code>${w.path}</code>. Only signed metadata crosses:
${UP_KINDS.map((k, i) => html`${i ? '; ' : ''}<em>${k}</em> — ${KIND_MEANING[k]}`)}. The digest is the one the control plane stores for the batch.</p>
${chainStatus(w)}
${w.day ? html`<p><a href="/what-left">All days</a></p>` : perDay}
${batches}`,
  });
}
