import { test } from 'node:test';
import assert from 'node:assert/strict';
import { injectConsole, TEST_SECRET } from '../../../support/console-inject.ts';

/**
 * Login, logout and the login form's own CSRF protection, through the console as app.ts builds it
 * (fastify's inject, a fake database): the secret read at each login, what a wrong one gets, the
 * failed-login limit per address, a fresh session at every login, and logout ending it on the server.
 */
const SESSION_COOKIE = /^ap_console_session=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Strict$/;
const LOGIN_COOKIE = /^ap_console_login=([A-Za-z0-9_-]{32}); Max-Age=600; Path=\/; HttpOnly; SameSite=Strict$/;
const CLEARED = (name: string) => `${name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`;

test('login with the local admin secret: the form sets an HttpOnly, SameSite=Strict nonce cookie; the secret starts a session whose cookie has no Max-Age and is not the secret', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  const form = await browser.get('/login');
  assert.equal(form.status, 200);
  assert.equal(form.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(form.text, /<input type="password" id="secret" name="secret"/);
  assert.equal(form.setCookies.length, 1);
  assert.match(form.setCookies[0], LOGIN_COOKIE);

  const ok = await browser.post('/login', { _csrf: browser.csrf(), secret: TEST_SECRET });
  assert.deepEqual([ok.status, ok.location], [303, '/']);
  assert.equal(ok.setCookies.length, 2);
  const token = SESSION_COOKIE.exec(ok.setCookies[0])![1];
  assert.equal(ok.setCookies[1], CLEARED('ap_console_login'), 'the login nonce is spent');
  assert.ok(!ok.setCookies[0].includes(TEST_SECRET));
  assert.ok(c.sessions.size === 1 && token !== browser.csrf());
  assert.equal((await browser.get('/approvals')).status, 200);
  assert.deepEqual([(await browser.get('/login')).location], ['/'], 'already logged in: on to the console');
  assert.deepEqual(
    c.logLines.filter((l) => /console log/.test(String(l.msg))).map((l) => [l.msg, l.ip]),
    [['console login', '127.0.0.1']],
  );
});

test('a wrong secret is 401 with the form again and sets no session cookie; it is logged with the address, never with what was typed', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  await browser.get('/login');
  const typed = 'my-guess-at-the-secret-0123456789';
  const wrong = await browser.post('/login', { _csrf: browser.csrf(), secret: typed });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(wrong.text, /<div class="error" role="alert"><p>That is not the local admin secret\.<\/p><\/div>/);
  assert.equal(wrong.setCookies.length, 1);
  assert.match(wrong.setCookies[0], LOGIN_COOKIE, 'a fresh login form, no session');
  assert.equal(c.sessions.size, 0);
  const refused = c.logLines.filter((l) => l.msg === 'console login refused: not the local admin secret');
  assert.deepEqual(
    refused.map((l) => l.ip),
    ['127.0.0.1'],
  );
  assert.ok(!JSON.stringify(c.logLines).includes(typed) && !JSON.stringify(c.logLines).includes(TEST_SECRET));
  assert.equal((await browser.post('/login', { _csrf: browser.csrf(), secret: TEST_SECRET })).status, 303, 'the new form works');
});

test('the secret is read from the store at each login: none stored lets nobody in, a store that cannot be read is 503 and starts no session', async () => {
  let secret: string | undefined;
  let readable = true;
  const c = await injectConsole({
    adminSecret: async () => {
      if (!readable) throw new Error('secret store down');
      return secret;
    },
  });
  assert.equal((await c.browser().login('anything')).status, 401, 'no secret stored');
  secret = TEST_SECRET;
  assert.equal((await c.browser().login(TEST_SECRET)).status, 303, 'read afresh: the stored secret now works');
  readable = false;
  const down = await c.browser().login(TEST_SECRET);
  assert.equal(down.status, 503);
  assert.match(down.text, /unavailable<\/code> the secret store cannot be read; try again shortly/);
  assert.ok(
    c.logLines.some((l) => l.dependency === 'secret-store' && l.code === 'unavailable'),
    'the operator’s log names the secret store',
  );
  assert.equal(c.sessions.size, 1);
});

test('the login form needs its own CSRF token, checked before anything else: missing, empty, short, another form’s, or without its cookie is 403 and starts no session', async () => {
  const c = await injectConsole();
  const attacker = c.browser();
  await attacker.get('/login');
  const victim = c.browser();
  await victim.get('/login');
  const own = victim.csrf();
  const forms: Array<Record<string, string> | string> = [
    { secret: TEST_SECRET },
    { _csrf: '', secret: TEST_SECRET },
    { _csrf: own.slice(1), secret: TEST_SECRET },
    { _csrf: attacker.csrf(), secret: TEST_SECRET },
    { _csrf: attacker.csrf(), secret: '', extra: 'x' },
    '',
  ];
  for (const form of forms) {
    const r = await victim.post('/login', form);
    assert.equal(r.status, 403, JSON.stringify(form));
    assert.match(r.text, /csrf_invalid<\/code> the login form expired or did not come from this console; nothing was changed/);
  }
  assert.equal((await victim.request('POST', '/login')).status, 403, 'no body at all');
  const noCookie = c.browser();
  assert.equal((await noCookie.post('/login', { _csrf: own, secret: TEST_SECRET })).status, 403, 'the token without its cookie');
  assert.equal(c.sessions.size, 0);

  assert.equal((await victim.post('/login', { _csrf: own, secret: '' })).status, 400, 'then the form: an empty secret');
  assert.equal((await victim.post('/login', { _csrf: own, secret: 'x'.repeat(1025) })).status, 400);
  const unknown = await victim.post('/login', { _csrf: own, secret: TEST_SECRET, extra: '1' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /invalid_request<\/code> invalid body: /);
  assert.equal((await victim.post('/login', { _csrf: own, secret: TEST_SECRET })).status, 303);
});

test('failed logins from one address are limited: after 10, even the right secret is 429 with Retry-After; other addresses are not', async () => {
  const c = await injectConsole();
  const guesser = c.browser('10.0.0.66');
  for (let i = 0; i < 10; i++) assert.equal((await guesser.login('not-the-secret')).status, 401, `attempt ${i + 1}`);
  const blocked = await guesser.login(TEST_SECRET);
  assert.equal(blocked.status, 429);
  const wait = Number(blocked.headers['retry-after']);
  assert.ok(wait > 0 && wait <= 300, String(wait));
  assert.match(blocked.text, new RegExp(`too_many_logins</code> too many failed logins from this address; try again in ${wait} s`));
  assert.equal(c.sessions.size, 0);
  assert.equal((await c.browser('10.0.0.67').login(TEST_SECRET)).status, 303, 'another address');
});

test('a login clears its address’s failures, so a person who mistypes is not locked out later', async () => {
  const c = await injectConsole();
  for (let round = 0; round < 2; round++) {
    const person = c.browser('10.0.0.5');
    for (let i = 0; i < 9; i++) assert.equal((await person.login('typo')).status, 401);
    assert.equal((await person.login(TEST_SECRET)).status, 303, `round ${round + 1}`);
  }
});

test('a burst of guesses beyond the limit is refused 401 or 429, never an error', async () => {
  // A secret store that takes a moment to answer: every guess passes the limit's check before any is counted.
  const c = await injectConsole({ adminSecret: () => new Promise((resolve) => setTimeout(() => resolve(TEST_SECRET), 20)) });
  const forms = await Promise.all(
    Array.from({ length: 14 }, async () => {
      const b = c.browser('10.0.0.99');
      await b.get('/login');
      return b;
    }),
  );
  const statuses = await Promise.all(forms.map((b) => b.post('/login', { _csrf: b.csrf(), secret: 'guess' }).then((r) => r.status)));
  assert.ok(
    statuses.every((s) => s === 401 || s === 429),
    statuses.join(),
  );
  assert.equal((await c.browser('10.0.0.99').login(TEST_SECRET)).status, 429);
});

test('every login gets a fresh session: a cookie planted beforehand is not it, and logging in again ends the previous one', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  const planted = 'A'.repeat(43);
  browser.jar.set('ap_console_session', planted);
  await browser.login(TEST_SECRET);
  const first = browser.jar.get('ap_console_session')!;
  assert.notEqual(first, planted);
  // A second tab's login form, opened before the first login, posted with the first session's cookie.
  const tab = c.browser();
  await tab.get('/login');
  tab.jar.set('ap_console_session', first);
  assert.equal((await tab.post('/login', { _csrf: tab.csrf(), secret: TEST_SECRET })).status, 303);
  assert.notEqual(tab.jar.get('ap_console_session'), first);
  assert.equal(c.sessions.size, 1, 'the first session ended');
  const old = c.browser();
  old.jar.set('ap_console_session', first);
  assert.equal((await old.get('/approvals')).location, '/login');
});

test('logout needs the session’s CSRF token, ends the session on the server and clears the cookie; without a session it just goes to the login page', async () => {
  const c = await injectConsole();
  const browser = c.browser();
  await browser.login(TEST_SECRET);
  const cookie = browser.jar.get('ap_console_session')!;
  for (const form of [{}, { _csrf: 'forged' }] as Array<Record<string, string>>) {
    const r = await browser.post('/logout', form);
    assert.equal(r.status, 403, JSON.stringify(form));
    assert.match(r.text, /csrf_invalid<\/code> the form’s CSRF token is missing or not this session’s; you are still logged in/);
  }
  assert.equal((await browser.get('/approvals')).status, 200, 'still logged in');

  const out = await browser.post('/logout', { _csrf: browser.csrf() });
  assert.deepEqual([out.status, out.location, out.setCookies], [303, '/login', [CLEARED('ap_console_session')]]);
  assert.equal(c.sessions.size, 0);
  const replay = c.browser();
  replay.jar.set('ap_console_session', cookie);
  assert.equal((await replay.get('/approvals')).location, '/login', 'the old cookie is worth nothing');
  assert.ok(c.logLines.some((l) => l.msg === 'console logout'));

  const again = await c.browser().post('/logout', { _csrf: 'whatever' });
  assert.deepEqual([again.status, again.location, again.setCookies], [303, '/login', [CLEARED('ap_console_session')]]);
  const malformed = await c.browser().post('/logout', { _csrf: 'x', extra: '1' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.text, /invalid_request<\/code> invalid body: /);
});
