import { html, type SafeHtml } from '../html.ts';
import { page, type Viewer } from './layout.ts';

const TITLES: Record<number, string> = {
  400: 'That request was not understood',
  401: 'Log in first',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That cannot be done any more',
  413: 'That form is too large',
  415: 'That is not a form',
  421: 'Wrong host',
  429: 'Too many attempts',
  503: 'Unavailable for a moment',
};

/** An error page: what went wrong (its code and message), that nothing was changed, and where to go. */
export function errorPage(o: { status: number; code: string; message: string; problems?: string[]; viewer: Viewer }): SafeHtml {
  const title = TITLES[o.status] ?? (o.status >= 500 ? 'Something went wrong' : 'That request was refused');
  const next =
    o.status === 401
      ? html`<p><a href="/login">Log in</a></p>`
      : o.viewer
        ? html`<p><a href="/approvals">Approvals</a> · <a href="/runs">Runs</a></p>`
        : html`<p><a href="/login">Log in</a></p>`;
  return page({
    title,
    viewer: o.viewer,
    body: html`<div class="error" role="alert">
<p><code class="code">${o.code}</code> ${o.message}</p>
${o.problems?.length ? html`<ul>${o.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
</div>
${next}`,
  });
}
