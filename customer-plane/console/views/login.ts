import { html, type SafeHtml } from '../html.ts';
import { page } from './layout.ts';

/** The login form: the local admin secret, and the form's CSRF token (bound to the login cookie). */
export function loginPage(o: { csrfToken: string; refused?: string }): SafeHtml {
  return page({
    title: 'Log in',
    viewer: undefined,
    body: html`${o.refused ? html`<div class="error" role="alert"><p>${o.refused}</p></div>` : ''}
<p>Log in with the customer plane’s local admin secret: the <code>local-admin-secret</code> entry of its secret store.</p>
<form method="post" action="/login" class="login">
<input type="hidden" name="_csrf" value="${o.csrfToken}">
<label for="secret">Local admin secret</label>
<input type="password" id="secret" name="secret" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>`,
  });
}
