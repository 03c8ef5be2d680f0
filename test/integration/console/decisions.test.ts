import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { newUlid } from '../../../shared/ids.ts';
import { waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { consoleClient, consoleRuntime, startTestConsole } from '../../support/console.ts';
import { pushAsk } from '../../support/approvals.ts';

/**
 * Deciding approvals in the console, with the real approvals store and the broker a waiting step
 * uses: a decision reaches the step; every refusal — no session or an expired one, a missing, forged
 * or foreign CSRF token, a request from another origin, a malformed form, an unknown, expired or
 * already decided approval — is a clear page with its status and code, and the approval is as it was.
 */
const MIN = 60_000;

async function setup(t: TestContext) {
  const rig = await consoleRuntime(t);
  let now = Date.now();
  const c = await startTestConsole(t, rig, { clock: () => now, session: { idleMs: 30 * MIN, maxAgeMs: 8 * 60 * MIN } });
  const open = async (o: { deadlineAt?: number } = {}) =>
    (
      await rig.approvals.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), {
        now,
        warnAt: (o.deadlineAt ?? now + 600_000) - 1,
        deadlineAt: o.deadlineAt ?? now + 600_000,
      })
    ).approval;
  const statusOf = async (id: string) => (await rig.approvals.get(id))!.status;
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  return { rig, c, open, statusOf, browser, advance: (ms: number) => (now += ms) };
}

test('a pending approval shows its preview, and approving it through the form wakes the waiting step at once', async (t) => {
  const s = await setup(t);
  const broker = s.rig.storedBroker!;
  const waiting = broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() }));
  const [pending] = await waitFor('the approval', async () => {
    const list = await s.rig.approvals.list();
    return list.length ? list : undefined;
  });
  const list = await s.browser.get('/approvals');
  assert.match(list.text, new RegExp(`href="/approvals/${pending.id}"`));
  assert.match(list.text, /git push origin main/);
  const shown = await s.browser.get(`/approvals/${pending.id}`);
  assert.match(shown.text, /<code class="argv">git push origin main<\/code>/);
  assert.match(shown.text, /<dt>Working directory<\/dt><dd><code>\/ws\/one<\/code>/);
  assert.match(shown.text, /<dt>Environment<\/dt><dd>sandbox<\/dd>/);
  const r = await s.browser.post(`/approvals/${pending.id}/decision`, {
    _csrf: s.browser.csrf(),
    decision: 'approve',
    note: 'looks right',
  });
  assert.deepEqual([r.status, r.location], [303, `/approvals/${pending.id}`]);
  const answer = await waiting;
  assert.equal(answer.outcome, 'approved');
  assert.equal(answer.note, 'approved by console:local-admin: looks right');
  const after = await s.browser.get(`/approvals/${pending.id}`);
  assert.match(after.text, /badge good">approved<\/span>.*by <strong>console:local-admin<\/strong>: looks right/);
  assert.doesNotMatch(after.text, /name="decision"/, 'no form once decided');
});

test('a decision without a live session is 401 and changes nothing: no cookie, a forged cookie, a session past its idle time or its maximum age, a logged-out session', async (t) => {
  const s = await setup(t);
  const a = await s.open({ deadlineAt: Date.now() + 24 * 3600_000 });
  const csrf = s.browser.csrf();
  const post = (cookie?: string) =>
    fetch(`${s.c.url}/approvals/${a.id}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams({ _csrf: csrf, decision: 'approve' }).toString(),
      redirect: 'manual',
    });
  for (const cookie of [
    undefined,
    `ap_console_session=${'A'.repeat(43)}`,
    `ap_console_session=${s.browser.jar.get('ap_console_session')}x`,
  ]) {
    const r = await post(cookie);
    assert.equal(r.status, 401, String(cookie));
    assert.match(await r.text(), /unauthorized/);
  }
  assert.equal(await s.statusOf(a.id), 'pending');

  s.advance(30 * MIN);
  const idle = await s.browser.post(`/approvals/${a.id}/decision`, { _csrf: csrf, decision: 'approve' });
  assert.equal(idle.status, 401, 'idle for 30 minutes');
  assert.match(idle.text, /Log in first/);
  assert.equal(await s.statusOf(a.id), 'pending');
  assert.deepEqual([(await s.browser.get('/approvals')).location], ['/login'], 'pages send the expired session to the login page');

  await s.browser.login(s.c.secret);
  for (let i = 0; i < 16; i++) {
    s.advance(29 * MIN);
    assert.equal((await s.browser.get('/approvals')).status, 200);
  }
  s.advance(29 * MIN);
  const old = await s.browser.post(`/approvals/${a.id}/decision`, { _csrf: s.browser.csrf(), decision: 'approve' });
  assert.equal(old.status, 401, 'busy, but 8 hours after login');
  assert.equal(await s.statusOf(a.id), 'pending');

  await s.browser.login(s.c.secret);
  const cookie = `ap_console_session=${s.browser.jar.get('ap_console_session')}`;
  const token = s.browser.csrf();
  const out = await s.browser.post('/logout', { _csrf: token });
  assert.deepEqual([out.status, out.location], [303, '/login']);
  assert.match(out.headers.getSetCookie().join(), /ap_console_session=; Max-Age=0/);
  const replayed = await post(cookie);
  assert.equal(replayed.status, 401, 'the cookie of a logged-out session is worth nothing');
  assert.equal(await s.statusOf(a.id), 'pending');
});

test('a decision without this session’s CSRF token is 403 and changes nothing: missing, empty, forged, another session’s, or the login form’s', async (t) => {
  const s = await setup(t);
  const a = await s.open();
  const own = s.browser.csrf();
  const other = consoleClient(s.c.url);
  await other.login(s.c.secret);
  await other.get('/approvals');
  const login = consoleClient(s.c.url);
  await login.get('/login');
  const forms: Array<Record<string, string>> = [
    { decision: 'approve' },
    { _csrf: '', decision: 'approve' },
    { _csrf: 'x'.repeat(own.length), decision: 'approve' },
    { _csrf: `${own}x`, decision: 'approve' },
    { _csrf: other.csrf(), decision: 'approve' },
    { _csrf: login.csrf(), decision: 'reject' },
  ];
  for (const form of forms) {
    const r = await s.browser.post(`/approvals/${a.id}/decision`, form);
    assert.equal(r.status, 403, JSON.stringify(form));
    assert.match(r.text, /csrf_invalid/);
  }
  const logout = await s.browser.post('/logout', { _csrf: other.csrf() });
  assert.equal(logout.status, 403, 'logout needs the token too');
  assert.equal((await s.browser.get('/approvals')).status, 200, 'still logged in');
  assert.equal(await s.statusOf(a.id), 'pending');
});

test('a decision sent from another origin is 403 before anything else is looked at', async (t) => {
  const s = await setup(t);
  const a = await s.open();
  const csrf = s.browser.csrf();
  const foreign: Array<Record<string, string>> = [
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ];
  for (const headers of foreign) {
    const r = await s.browser.post(`/approvals/${a.id}/decision`, { _csrf: csrf, decision: 'approve' }, headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(r.text, /cross_origin_request/);
  }
  assert.equal(await s.statusOf(a.id), 'pending');
  const same = await s.browser.post(
    `/approvals/${a.id}/decision`,
    { _csrf: csrf, decision: 'reject' },
    { origin: s.c.url, 'sec-fetch-site': 'same-origin' },
  );
  assert.equal(same.status, 303, 'the console’s own page');
  assert.equal(await s.statusOf(a.id), 'rejected');
});

test('a malformed form is 400 (415 for another content type, 413 too large) naming the problem, and changes nothing', async (t) => {
  const s = await setup(t);
  const a = await s.open();
  const csrf = s.browser.csrf();
  const cases: Array<[string | Uint8Array | Record<string, string>, number, RegExp, Record<string, string>?]> = [
    [{ _csrf: csrf }, 400, /decision: approve or reject/],
    [{ _csrf: csrf, decision: 'maybe' }, 400, /decision: approve or reject/],
    [{ _csrf: csrf, decision: 'approve', extra: '1' }, 400, /unknown field\(s\) extra/],
    [`_csrf=${csrf}&decision=approve&decision=reject`, 400, /the form gives the field &quot;decision&quot; more than once/],
    [{ _csrf: csrf, decision: 'approve', note: 'x'.repeat(501) }, 400, /note: Too big/],
    [{ _csrf: csrf, decision: 'approve', note: 'a\u0000b' }, 400, /must be text without NUL characters/],
    [JSON.stringify({ _csrf: csrf, decision: 'approve' }), 415, /unsupported_media_type/, { 'content-type': 'application/json' }],
    [`_csrf=${csrf}&decision=approve&note=${'y'.repeat(20_000)}`, 413, /body_too_large/],
    [Buffer.from(`_csrf=${csrf}&decision=approve&note=\xff`, 'latin1'), 400, /the form is not valid UTF-8/],
  ];
  for (const [form, status, message, headers] of cases) {
    const r = await s.browser.post(`/approvals/${a.id}/decision`, form, headers);
    assert.equal(
      r.status,
      status,
      String(typeof form === 'string' || form instanceof Uint8Array ? form : JSON.stringify(form)).slice(0, 80),
    );
    assert.match(r.text, message);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
  }
  const badId = await s.browser.post('/approvals/not-a-ulid/decision', { _csrf: csrf, decision: 'approve' });
  assert.equal(badId.status, 400);
  assert.match(badId.text, /an approval id is a ULID/);
  assert.equal(await s.statusOf(a.id), 'pending');
  const a2 = await s.rig.approvals.get(a.id);
  assert.deepEqual([a2!.decidedBy, a2!.note], [null, null]);
});

test('deciding an unknown, expired, already decided or superseded approval is a page with its code (404/409); nothing changes', async (t) => {
  const s = await setup(t);
  const csrf = s.browser.csrf();
  const decide = (id: string, decision = 'approve') => s.browser.post(`/approvals/${id}/decision`, { _csrf: csrf, decision });

  const unknown = await decide(newUlid());
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /approval_not_found/);

  const late = await s.open({ deadlineAt: Date.now() + 1000 });
  s.advance(2000);
  const expired = await decide(late.id);
  assert.equal(expired.status, 409);
  assert.match(expired.text, /approval_expired/);
  assert.equal(await s.statusOf(late.id), 'expired');
  const expiredPage = await s.browser.get(`/approvals/${late.id}`);
  assert.doesNotMatch(expiredPage.text, /name="decision"/);

  const once = await s.open();
  assert.equal((await decide(once.id, 'reject')).status, 303);
  const again = await decide(once.id, 'approve');
  assert.equal(again.status, 409);
  assert.match(again.text, /approval_already_decided/);
  assert.equal(await s.statusOf(once.id), 'rejected', 'the first decision stands');

  const first = await s.open();
  await s.rig.approvals.open(pushAsk({ runId: first.runId, stepId: first.stepId, remote: 'upstream' }), {
    now: Date.now(),
    warnAt: Date.now() + 1000,
    deadlineAt: Date.now() + 600_000,
  });
  const superseded = await decide(first.id);
  assert.equal(superseded.status, 409);
  assert.match(superseded.text, /approval_superseded/);
});
