import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { CONTENT_SECURITY_POLICY, hostOf, installProtections, securityHeaders } from '../../../../customer-plane/console/protections.ts';
import { FORM_BODY_LIMIT } from '../../../../customer-plane/console/forms.ts';
import { CONSOLE_HOST, injectConsole, TEST_SECRET } from '../../../support/console-inject.ts';

/**
 * What stands between the network and the console's pages, through the console as app.ts builds it
 * (fastify's inject, a fake database that records queries): the headers on every response, the Host
 * check against DNS rebinding, the same-origin check on every state change, and the form parser's
 * refusals — each before the approvals store is touched.
 */
const APPROVAL = '/approvals/01ARZ3NDEKTSV4RRFFQ69G5FAV/decision';
const HEADERS_OVER_HTTP = {
  'content-security-policy':
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

async function loggedIn(o: Parameters<typeof injectConsole>[0] = {}) {
  const c = await injectConsole(o);
  const browser = c.browser();
  assert.equal((await browser.login(TEST_SECRET)).status, 303);
  return {
    ...c,
    browser,
    stranger: () => c.browser(),
    decide: (headers?: Record<string, string>) => browser.post(APPROVAL, { _csrf: browser.csrf(), decision: 'approve' }, headers),
  };
}

test('every response carries the no-script CSP, nosniff, no framing, same-origin referrers, no-store and the cross-origin policies — pages, redirects, refusals, errors and the stylesheet alike; no HSTS over plain HTTP', async () => {
  const c = await loggedIn();
  const stranger = c.stranger();
  const responses = [
    await c.browser.get('/approvals'),
    await c.browser.get('/static/console.css'),
    await c.browser.get('/nope'),
    await c.browser.request('HEAD', '/approvals'),
    await c.browser.post(APPROVAL, { _csrf: 'forged', decision: 'approve' }),
    await stranger.get('/login'),
    await stranger.get('/approvals'),
    await stranger.post(APPROVAL, { decision: 'approve' }),
    await stranger.get('/login', { host: 'evil.example' }),
  ];
  assert.deepEqual(
    responses.map((r) => r.status),
    [200, 200, 404, 200, 403, 200, 303, 401, 421],
  );
  for (const r of responses) {
    for (const [name, value] of Object.entries(HEADERS_OVER_HTTP)) assert.equal(r.headers[name], value, `${r.status} ${name}`);
    assert.equal(r.headers['strict-transport-security'], undefined);
  }
  assert.equal(CONTENT_SECURITY_POLICY, HEADERS_OVER_HTTP['content-security-policy']);
});

test('over TLS every response also carries HSTS, and only an https Origin of this console is its own', async () => {
  assert.deepEqual(securityHeaders(true), { ...HEADERS_OVER_HTTP, 'strict-transport-security': 'max-age=31536000' });
  const app = Fastify();
  installProtections(app, { tls: true, hosts: new Set(['console.internal']) });
  app.get('/', async () => 'page');
  app.post('/change', async () => 'changed');
  const send = (method: 'GET' | 'POST', url: string, headers: Record<string, string>) =>
    app.inject({ method, url, headers: { host: 'console.internal:8443', ...headers } });
  const page = await send('GET', '/', {});
  assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
  assert.equal((await send('POST', '/change', { origin: 'https://console.internal:8443' })).statusCode, 200);
  assert.equal((await send('POST', '/change', { origin: 'http://console.internal:8443' })).statusCode, 403, 'plain http is another origin');
});

test('a Host header that is not this console (DNS rebinding) is answered 421 with nothing of the page, before any session or form is looked at', async () => {
  const c = await loggedIn();
  for (const host of [
    'evil.example',
    'evil.example:7480',
    'localhost.evil.example:7480',
    '127.0.0.1.evil.example',
    'evil.example:localhost',
    'localhost:evil',
    'localhost:',
    'localhost:123456',
    '[::2]:7480',
    '[::1]:7480',
    'a b',
  ]) {
    const r = await c.browser.get('/approvals', { host });
    assert.equal(r.status, 421, host);
    assert.match(r.text, /misdirected_request<\/code> this console does not answer to that host name/);
    assert.doesNotMatch(r.text, /name="_csrf"|<h1>Approvals/, host);
  }
  const queries = c.queries.length;
  assert.equal((await c.decide({ host: 'evil.example:7480' })).status, 421);
  assert.equal(c.queries.length, queries, 'a decision to another host never reaches the store');
  for (const host of [CONSOLE_HOST, 'LocalHost:7480', 'localhost', '127.0.0.1:1', 'localhost:65535'])
    assert.equal((await c.browser.get('/approvals', { host })).status, 200, host);
});

test('hostOf: the host of a Host header, lower-cased — a name or a bracketed IPv6 address, with at most a 5-digit port; anything else is no host', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['localhost:7480', 'localhost'],
    ['Console.Internal', 'console.internal'],
    ['10.0.0.5:8', '10.0.0.5'],
    ['[::1]:7480', '::1'],
    ['[fd12:ab::1]:443', 'fd12:ab::1'],
    ['[FD12:AB::1.2.3.4]', 'fd12:ab::1.2.3.4'],
    [undefined, undefined],
    ['', undefined],
    ['localhost:', undefined],
    ['localhost:123456', undefined],
    ['localhost:80x', undefined],
    ['evil.example:localhost', undefined],
    ['a[b', undefined],
    ['a]b', undefined],
    ['[::1', undefined],
    ['[::g]', undefined],
    ['[]', undefined],
    ['[::1]x', undefined],
  ];
  for (const [header, host] of cases) assert.equal(hostOf(header), host, String(header));
});

test('a state change from another site or origin is 403 cross_origin_request before the session, the CSRF token or the store is looked at', async () => {
  const c = await loggedIn();
  const before = c.queries.length;
  const foreign: Array<[Record<string, string>, RegExp]> = [
    [{ origin: 'https://evil.example' }, /another origin/],
    [{ origin: 'null' }, /another origin/],
    [{ origin: 'http://localhost:7480.evil.example' }, /another origin/],
    [{ origin: 'https://localhost:7480' }, /another origin/],
    [{ origin: 'http://localhost:7481' }, /another origin/],
    [{ 'sec-fetch-site': 'cross-site' }, /another site/],
    [{ 'sec-fetch-site': 'same-site' }, /another site/],
    [{ 'sec-fetch-site': 'cross-site', origin: `http://${CONSOLE_HOST}` }, /another site/],
  ];
  for (const [headers, why] of foreign) {
    const r = await c.decide(headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(r.text, /cross_origin_request<\/code> the request came from /);
    assert.match(r.text, new RegExp(`${why.source}; nothing was changed`));
  }
  const stranger = c.stranger();
  assert.equal((await stranger.post('/login', { secret: TEST_SECRET }, { origin: 'https://evil.example' })).status, 403);
  assert.match((await stranger.post('/logout', {}, { 'sec-fetch-site': 'cross-site' })).text, /cross_origin_request/);
  assert.equal(c.queries.length, before, 'nothing reached the store');
});

test('the console’s own pages may change things: same origin (host names compare case-insensitively), Sec-Fetch-Site same-origin or none, or neither header', async () => {
  const c = await loggedIn();
  const ownPages: Array<Record<string, string>> = [
    {},
    { origin: `http://${CONSOLE_HOST}` },
    { origin: 'HTTP://LOCALHOST:7480' },
    { origin: 'http://localhost:7480', host: 'LocalHost:7480' },
    { 'sec-fetch-site': 'same-origin', origin: `http://${CONSOLE_HOST}` },
    { 'sec-fetch-site': 'none' },
  ];
  for (const headers of ownPages) {
    const r = await c.decide(headers);
    assert.equal(r.status, 404, `reached the store: ${JSON.stringify(headers)}`);
    assert.match(r.text, /approval_not_found/);
  }
});

test('a link from another site still opens a page: GET and HEAD are never refused for their origin', async () => {
  const c = await loggedIn();
  const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://chat.example' };
  assert.equal((await c.browser.get('/login', crossSite)).status, 303, 'logged in: on to the console');
  assert.equal((await c.browser.request('HEAD', '/approvals', { headers: crossSite })).status, 200);
  assert.equal((await c.browser.get('/approvals', crossSite)).status, 200);
});

test('a malformed form is refused before any handler runs: repeated field or bad UTF-8 400, another content type 415, an oversized body 413', async () => {
  const c = await loggedIn();
  const csrf = c.browser.csrf();
  const before = c.queries.length;
  const longName = 'n'.repeat(100);
  const cases: Array<[string | Buffer, number, RegExp, Record<string, string>?]> = [
    [
      `_csrf=${csrf}&decision=approve&decision=reject`,
      400,
      /invalid_form<\/code> the form gives the field &quot;decision&quot; more than once/,
    ],
    [`_csrf=${csrf}&decision=approve&${longName}=1&${longName}=2`, 400, new RegExp(`field &quot;${'n'.repeat(40)}&quot; more`)],
    [Buffer.from(`_csrf=${csrf}&decision=approve&note=\xff`, 'latin1'), 400, /invalid_form<\/code> the form is not valid UTF-8/],
    [JSON.stringify({ _csrf: csrf, decision: 'approve' }), 415, /unsupported_media_type/, { 'content-type': 'application/json' }],
    [`_csrf=${csrf}&decision=approve`, 415, /unsupported_media_type/, { 'content-type': 'text/plain' }],
    [`_csrf=${csrf}&decision=approve&note=${'y'.repeat(FORM_BODY_LIMIT)}`, 413, /body_too_large/],
  ];
  for (const [form, status, message, headers] of cases) {
    const r = await c.browser.post(APPROVAL, form, headers);
    assert.equal(r.status, status, String(form).slice(0, 60));
    assert.match(r.text, message);
  }
  assert.equal(c.queries.length, before, 'nothing reached the store');
  assert.equal(FORM_BODY_LIMIT, 16 * 1024);
  const large = await c.browser.post(APPROVAL, `_csrf=${csrf}&decision=approve&note=${'y'.repeat(FORM_BODY_LIMIT - 200)}`);
  assert.equal(large.status, 400, 'a form under the limit is parsed (and then its note is too long)');
  assert.match(large.text, /note: Too big/);
  const field = await c.browser.post(APPROVAL, `_csrf=${csrf}&decision=approve&note=caf%C3%A9`);
  assert.equal(field.status, 404, 'a well-formed UTF-8 form reaches the store');
});
