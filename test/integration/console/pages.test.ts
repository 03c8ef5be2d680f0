import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import assert from 'node:assert/strict';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createDb } from '../../../shared/db/pool.ts';
import { CONTENT_SECURITY_POLICY } from '../../../customer-plane/console/protections.ts';
import { auditLogPath } from '../../../customer-plane/egress/audit-log.ts';
import { auditChain, consoleClient, consoleRuntime, PROBE, startTestConsole } from '../../support/console.ts';

/**
 * The console over HTTP against a real runtime (Postgres ledger, approvals and memory): login and its
 * cookie, every page behind the session, the headers on every response, and repository content on
 * every page as text.
 */
const DAY1 = Date.UTC(2026, 2, 1, 9);
const DAY2 = Date.UTC(2026, 2, 2, 17);

test('login with the local admin secret sets an HttpOnly, SameSite=Strict session cookie (not Secure over plain HTTP on loopback), a fresh one whatever cookie came with it; a wrong secret sets none', async (t) => {
  const rig = await consoleRuntime(t);
  const c = await startTestConsole(t, rig);
  const browser = consoleClient(c.url);

  const page = await browser.get('/runs');
  assert.deepEqual([page.status, page.location], [303, '/login'], 'no session: to the login page');
  const form = await browser.get('/login');
  assert.equal(form.status, 200);
  assert.match(form.text, /<input type="password" id="secret" name="secret"/);
  const loginCookie = form.headers.getSetCookie().find((s) => s.startsWith('ap_console_login='))!;
  assert.match(loginCookie, /; Max-Age=600; Path=\/; HttpOnly; SameSite=Strict$/);

  const wrong = await browser.post('/login', { _csrf: browser.csrf(), secret: `${c.secret}x` });
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /That is not the local admin secret/);
  assert.equal(browser.jar.has('ap_console_session'), false);

  const planted = 'A'.repeat(43);
  browser.jar.set('ap_console_session', planted);
  const ok = await browser.post('/login', { _csrf: browser.csrf(), secret: c.secret });
  assert.deepEqual([ok.status, ok.location], [303, '/']);
  assert.notEqual(browser.jar.get('ap_console_session'), planted, 'a cookie planted before login is not the session');
  const session = ok.headers.getSetCookie().find((s) => s.startsWith('ap_console_session='))!;
  assert.match(session, /^ap_console_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/, 'no Max-Age, no Secure over http');
  assert.ok(!session.includes(c.secret), 'the cookie is a session token, not the secret');
  assert.equal(c.sessions.size, 1);
  assert.equal((await browser.get('/runs')).status, 200);
  assert.equal((await browser.get('/login')).location, '/', 'already logged in');
});

test('the login form needs its own CSRF token: a post without it, or with a token for another login cookie, is refused and starts no session', async (t) => {
  const rig = await consoleRuntime(t);
  const c = await startTestConsole(t, rig);
  const attacker = consoleClient(c.url);
  await attacker.get('/login');
  const attackerToken = attacker.csrf();

  const victim = consoleClient(c.url);
  await victim.get('/login');
  const forms: Array<Record<string, string>> = [
    { secret: c.secret },
    { _csrf: '', secret: c.secret },
    { _csrf: attackerToken, secret: c.secret },
  ];
  for (const form of forms) {
    const r = await victim.post('/login', form);
    assert.equal(r.status, 403, JSON.stringify(Object.keys(form)));
    assert.match(r.text, /csrf_invalid/);
  }
  const noCookie = await fetch(`${c.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: victim.csrf(), secret: c.secret }).toString(),
    redirect: 'manual',
  });
  assert.equal(noCookie.status, 403, 'the token without its cookie');
  assert.equal(c.sessions.size, 0);
});

test('failed logins from one address are limited: after 10, even the right secret is 429 with Retry-After', async (t) => {
  const rig = await consoleRuntime(t);
  const c = await startTestConsole(t, rig);
  const browser = consoleClient(c.url);
  for (let i = 0; i < 10; i++) assert.equal((await browser.login('not-the-secret')).status, 401, `attempt ${i + 1}`);
  const blocked = await browser.login(c.secret);
  assert.equal(blocked.status, 429);
  assert.match(blocked.text, /too_many_logins/);
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  assert.equal(c.sessions.size, 0);
});

test('every response carries the CSP without script, nosniff, frame-ancestors none, same-origin referrers and no-store — pages, login, errors and the stylesheet alike; no page holds a script', async (t) => {
  const rig = await consoleRuntime(t);
  const c = await startTestConsole(t, rig);
  assert.equal(
    CONTENT_SECURITY_POLICY,
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  const responses = await Promise.all(
    ['/login', '/runs', '/approvals', '/environments', '/what-left', '/runs/not-an-id', '/nope', '/static/console.css'].map((p) =>
      browser.get(p),
    ),
  );
  for (const r of [...responses, await consoleClient(c.url).get('/runs')]) {
    assert.equal(r.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('referrer-policy'), 'same-origin');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    assert.doesNotMatch(r.text, /<script|<[^>]*\s(on[a-z]+|style)=/i, 'no script, no inline handler or style');
  }
  assert.deepEqual(
    responses.map((r) => r.status),
    [303, 200, 200, 200, 200, 400, 404, 200],
  );
  assert.match(responses[7].headers.get('content-type')!, /^text\/css/);
});

test('a Host header that is not this console (DNS rebinding) is answered 421 with nothing in it', async (t) => {
  const rig = await consoleRuntime(t);
  const c = await startTestConsole(t, rig);
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const port = new URL(c.url).port;
  // fetch will not send a Host header of our choosing; a raw request does, as a rebinding browser would.
  const get = (host: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/runs', headers: { host, cookie } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `[::2]:${port}`, 'a b']) {
    const r = await get(host);
    assert.equal(r.status, 421, host);
    assert.match(r.body, /misdirected_request/);
    assert.doesNotMatch(r.body, /<h1>Runs/);
  }
  assert.equal((await get(`localhost:${port}`)).status, 200, 'localhost is this console on loopback');
  assert.equal((await get(`127.0.0.1:${port}`)).status, 200);
});

test('a finished run’s page shows its steps, findings and applied diff with repository content as text: probe file names, file content and findings never become markup', async (t) => {
  const rig = await consoleRuntime(t);
  const run = await rig.run('code-review');
  assert.equal(run.status, 'succeeded');
  const c = await startTestConsole(t, rig);
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  const list = await browser.get('/runs');
  assert.match(list.text, new RegExp(`href="/runs/${run.runId}"`));
  const r = await browser.get(`/runs/${run.runId}`);
  assert.equal(r.status, 200);
  const esc = (s: string) =>
    s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
  assert.ok(r.text.includes(esc(PROBE.finding)), 'the finding, escaped');
  assert.ok(r.text.includes(esc(PROBE.fileName)), 'the file name, escaped');
  assert.ok(r.text.includes(`+${esc(PROBE.fileText.trimEnd())}`), 'the written file’s content in the applied diff, escaped');
  assert.match(r.text, /<span class="add">/);
  assert.doesNotMatch(r.text, /<(script|img|svg|b)[\s>]|<[^>]*\son[a-z]+=/i, 'no probe became a tag or an attribute');
  assert.equal((await browser.get(`/runs/${newUlid()}`)).status, 404);
});

test('environments show each agent’s autonomy level there, from memory; a person’s override moves it', async (t) => {
  const rig = await consoleRuntime(t);
  await rig.memory!.recordOverride({ agent: 'fixer', environment: 'sandbox', ref: 'approval-x' });
  const c = await startTestConsole(t, rig);
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  const r = await browser.get('/environments');
  assert.equal(r.status, 200);
  const sections = r.text.split('<section class="environment">').slice(1);
  assert.deepEqual(
    sections.map((s) => /<h2>([^<]+)<\/h2>/.exec(s)![1]),
    ['sandbox', 'production'],
  );
  const level = (section: string, agent: string) => new RegExp(`<tr><td>${agent}</td><td><span class="level ([a-z]+)">`).exec(section)?.[1];
  assert.equal(level(sections[0], 'fixer'), 'observe', 'demoted by the override');
  assert.equal(level(sections[0], 'reviewer'), 'assisted', 'the start level');
  assert.equal(level(sections[1], 'fixer'), 'assisted');
  assert.match(sections[1], /every write asks a person/);
  assert.match(sections[1], /refactor: <code>[0-9a-f]{64}<\/code>/, 'the reviewed pin');
});

test('what left: the audit chain’s status, batches and events per day and kind, and each batch of a day with its digest; a broken chain says where', async (t) => {
  const rig = await consoleRuntime(t);
  const stateDir = await auditChain(t, [DAY1, DAY2]);
  const c = await startTestConsole(t, rig, { stateDir });
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  const all = await browser.get('/what-left');
  assert.match(all.text, /The chain is intact: 3 records/);
  const row = (day: string) =>
    new RegExp(`<a href="/what-left/${day}">${day}</a></td>(.*?)</tr>`, 's').exec(all.text)![1].match(/\d+ \/ \d+/g);
  assert.deepEqual(row('2026-03-01'), ['0 / 0', '2 / 5', '0 / 0', '0 / 0'], 'meta, otel, usage, patterns');
  assert.deepEqual(row('2026-03-02'), ['0 / 0', '1 / 1', '0 / 0', '0 / 0']);
  const day = await browser.get('/what-left/2026-03-01');
  const digests = [...day.text.matchAll(/<code class="digest">([0-9a-f]{64})<\/code>/g)].map((m) => m[1]);
  assert.equal(digests.length, 2);
  const lines = readFileSync(auditLogPath(stateDir), 'utf8').trim().split('\n');
  assert.deepEqual(
    digests,
    lines.slice(0, 2).map((l) => JSON.parse(l).digest),
    'the digests the chain holds',
  );
  assert.equal((await browser.get('/what-left/2026-13-01')).status, 400);

  const edited = JSON.parse(lines[1]);
  edited.events = 99;
  writeFileSync(auditLogPath(stateDir), `${[lines[0], JSON.stringify(edited), lines[2]].join('\n')}\n`);
  const broken = await browser.get('/what-left');
  assert.match(broken.text, /The chain is broken at line 2 \(record 1\): hash does not match the record \(edited\)/);
  assert.match(broken.text, /badge bad/);
});

test('a database outage is a 503 page with Retry-After, not a 500', async (t) => {
  const rig = await consoleRuntime(t);
  const dead = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
  t.after(() => dead.end());
  const c = await startTestConsole(t, { ...rig, pool: dead }, { log: silentLogger() });
  const browser = consoleClient(c.url);
  await browser.login(c.secret);
  for (const p of ['/runs', '/approvals', `/approvals/${newUlid()}`]) {
    const r = await browser.get(p);
    assert.equal(r.status, 503, p);
    assert.equal(r.headers.get('retry-after'), '5');
    assert.match(r.text, /unavailable/);
  }
  const decided = await browser.post(`/approvals/${newUlid()}/decision`, { _csrf: browser.csrf(), decision: 'approve' });
  assert.equal(decided.status, 503);
});
