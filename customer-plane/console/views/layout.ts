import { html, type SafeHtml } from '../html.ts';

/** What a page knows of the person viewing it: with a session, the nav and its logout form. */
export type Viewer = { csrfToken: string; name: string } | undefined;

const NAV: Array<[string, string]> = [
  ['/runs', 'Runs'],
  ['/approvals', 'Approvals'],
  ['/environments', 'Environments'],
  ['/what-left', 'What left'],
];

/** The hidden field every form carries (the session's CSRF token). */
export const csrfField = (viewer: { csrfToken: string }) => html`<input type="hidden" name="_csrf" value="${viewer.csrfToken}">`;

/**
 * The page shell: no script element, no inline style or event handler — the Content-Security-Policy
 * would refuse them anyway; the stylesheet is the console's own file.
 */
export function page(o: { title: string; viewer: Viewer; current?: string; body: SafeHtml }): SafeHtml {
  const nav = o.viewer
    ? html`<nav>
  <span class="brand">agentplane console</span>
  ${NAV.map(([href, label]) => html`<a href="${href}"${o.current === href ? html` aria-current="page"` : ''}>${label}</a>`)}
  <form method="post" action="/logout" class="logout">${csrfField(o.viewer)}<button type="submit">Log out</button></form>
</nav>`
    : html`<nav><span class="brand">agentplane console</span></nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · agentplane console</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
${nav}
<main>
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>
`;
}

/** A time as people read it, in UTC (the server's clock; the page has no script to localise it). */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}

/** A status word as a badge (its class from a closed list, never from the data). */
export function badge(status: string): SafeHtml {
  const kind = ['succeeded', 'approved', 'ok', 'intact'].includes(status)
    ? 'good'
    : ['failed', 'rejected', 'expired', 'closed', 'broken', 'critical', 'high'].includes(status)
      ? 'bad'
      : ['pending', 'running', 'queued', 'medium'].includes(status)
        ? 'wait'
        : 'plain';
  return html`<span class="badge ${kind}">${status}</span>`;
}
