import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { consoleCookies } from '../../../../customer-plane/console/cookies.ts';
import { createLoginCsrf } from '../../../../customer-plane/console/session-auth.ts';
import { injectConsole, TEST_SECRET } from '../../../support/console-inject.ts';

/**
 * What a decision needs besides a same-origin request: a live session (its cookie) and that session's
 * own CSRF token — each checked before the approvals store is touched (the fake database records
 * every query). And the cookies themselves, over plain HTTP and over TLS.
 */
const APPROVAL_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const APPROVAL = `/approvals/${APPROVAL_ID}/decision`;
const MIN = 60_000;

test('a decision without a live session is 401 and reaches no store: no cookie, a forged or unknown one, an idle or too old session; a page without one goes to the login form', async () => {
  let now = Date.UTC(2026, 2, 1);
  const c = await injectConsole({ clock: () => now, session: { idleMs: 30 * MIN, maxAgeMs: 60 * MIN } });
  const browser = c.browser();
  await browser.login(TEST_SECRET);
  const csrf = browser.csrf();
  const token = browser.jar.get('ap_console_session')!;
  const before = c.queries.length;
  const post = (cookie?: string) => {
    const b = c.browser();
    if (cookie !== undefined) b.jar.set('ap_console_session', cookie);
    return b.post(APPROVAL, { _csrf: csrf, decision: 'approve' });
  };
  for (const cookie of [undefined, '', 'A'.repeat(43), `${token}x`, token.slice(1), token.toLowerCase()]) {
    const r = await post(cookie);
    assert.equal(r.status, 401, String(cookie));
    assert.match(r.text, /unauthorized<\/code>/);
  }
  const page = c.browser();
  assert.deepEqual([(await page.get('/approvals')).status, (await page.get('/approvals')).location], [303, '/login']);
  assert.equal((await page.get('/nope')).status, 404, 'a page that does not exist says so, session or not');

  now += 29 * MIN;
  assert.equal((await browser.get('/approvals')).status, 200, 'used within its idle time');
  now += 30 * MIN;
  assert.equal((await browser.post(APPROVAL, { _csrf: csrf, decision: 'approve' })).status, 401, 'idle for 30 minutes');
  assert.equal(c.sessions.size, 0);
  assert.equal(c.queries.length, before + 2, 'only the one page read the store');

  await browser.login(TEST_SECRET);
  for (let i = 0; i < 3; i++) {
    now += 20 * MIN;
    assert.equal((await browser.get('/approvals')).status, i < 2 ? 200 : 303, `busy, ${(i + 1) * 20} minutes after login`);
  }
});

test('a decision needs this session’s own CSRF token: missing, empty, forged, too long, another session’s or the login form’s is 403 and reaches no store', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  await browser.login(TEST_SECRET);
  const own = browser.csrf();
  const other = c.browser();
  await other.login(TEST_SECRET);
  const login = c.browser();
  await login.get('/login');
  const before = c.queries.length;
  const forms: Array<Record<string, string> | string> = [
    { decision: 'approve' },
    { _csrf: '', decision: 'approve' },
    { _csrf: 'x'.repeat(own.length), decision: 'approve' },
    { _csrf: `${own}x`, decision: 'approve' },
    { _csrf: other.csrf(), decision: 'approve' },
    { _csrf: login.csrf(), decision: 'reject' },
    '',
  ];
  for (const form of forms) {
    const r = await browser.post(APPROVAL, form);
    assert.equal(r.status, 403, JSON.stringify(form));
    assert.match(r.text, /csrf_invalid<\/code> the form’s CSRF token is missing or not this session’s; nothing was changed/);
  }
  const noBody = await browser.request('POST', APPROVAL);
  assert.equal(noBody.status, 403, 'no body at all');
  assert.equal(c.queries.length, before);
});

test('with a live session and its token the decision reaches the store, recorded as made by the console’s local admin', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  await browser.login(TEST_SECRET);
  const before = c.queries.length;
  const r = await browser.post(APPROVAL, { _csrf: browser.csrf(), decision: 'approve', note: 'looks right' });
  assert.equal(r.status, 404, 'the fake store has no such approval');
  assert.match(r.text, /approval_not_found/);
  const decide = c.queries[before];
  assert.match(decide.sql, /UPDATE approvals\.requests SET status = \$2/);
  assert.deepEqual(
    [decide.params[0], decide.params[1], decide.params[3], decide.params[4]],
    [APPROVAL_ID, 'approved', 'console:local-admin', 'looks right'],
  );
  assert.match(r.text, /name="_csrf" value="[^"]+"/, 'the error page keeps the session’s nav (and its logout form)');
});

test('cookies: HttpOnly, SameSite=Strict, Path=/ always; over TLS also Secure with the __Host- prefix; a session cookie has no Max-Age', async () => {
  for (const secure of [false, true]) {
    const cookies = consoleCookies({ secure });
    const prefix = secure ? '__Host-' : '';
    const flags = `Path=/; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Strict`;
    assert.deepEqual([cookies.session, cookies.login], [`${prefix}ap_console_session`, `${prefix}ap_console_login`]);
    const app = Fastify();
    app.get('/set', async (_req, reply) => {
      cookies.set(reply, cookies.session, 'token');
      cookies.set(reply, cookies.login, 'nonce', 600);
      cookies.clear(reply, cookies.session);
      return 'ok';
    });
    app.get('/read', async (req) => JSON.stringify([cookies.read(req, cookies.session) ?? null, cookies.read(req, cookies.login) ?? null]));
    const set = await app.inject({ url: '/set' });
    assert.deepEqual(set.headers['set-cookie'], [
      `${prefix}ap_console_session=token; ${flags}`,
      `${prefix}ap_console_login=nonce; Max-Age=600; ${flags}`,
      `${prefix}ap_console_session=; Max-Age=0; ${flags}`,
    ]);
    assert.equal((await app.inject({ url: '/read' })).body, '[null,null]', 'no cookie header');
    const both = await app.inject({ url: '/read', headers: { cookie: `a=1; ${prefix}ap_console_session=s; ${prefix}ap_console_login=n` } });
    assert.equal(both.body, '["s","n"]');
  }
});

test('the login form’s CSRF token is an HMAC of its cookie’s nonce under this process’s key: another process’s, or another nonce’s, does not match', () => {
  const csrf = createLoginCsrf();
  const { nonce, token } = csrf.issue();
  assert.match(nonce, /^[A-Za-z0-9_-]{32}$/);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(csrf.matches(nonce, token), true);
  const other = createLoginCsrf().issue();
  for (const [n, t] of [
    [nonce, other.token],
    [other.nonce, token],
    [undefined, token],
    ['', token],
    [nonce, undefined],
    [nonce, token.slice(1)],
    [nonce, 42],
  ] as const)
    assert.equal(csrf.matches(n, t), false, `${n} ${String(t)}`);
  assert.equal(createLoginCsrf().matches(nonce, token), false, 'a restarted console');
});
