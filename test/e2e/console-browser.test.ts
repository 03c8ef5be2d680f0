import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { auditChain, consoleRuntime, PROBE, startTestConsole } from '../support/console.ts';

/**
 * The console in a real headless Chromium (Debian's, driven by playwright-core) against a real runtime:
 * a person logs in, reads a finished run's findings and diff, approves a pending action and watches the
 * run continue, rejects the next one, reads environments and what left, and logs out. Repository
 * content planted with XSS probes — a file name, a file's content, findings, a step summary, the diff
 * of an approval — must render as text: no dialog, no script, no element a probe would have made, the
 * page title untouched, no Content-Security-Policy violation (which would mean something tried).
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const DAY1 = Date.UTC(2026, 4, 10, 8);
const DAY2 = Date.UTC(2026, 4, 11, 8);

async function reloadUntil(page: Page, what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
}

test('in a real browser: log in, read a finished run’s findings and diff, approve an action and see the run continue, reject the next, log out — every XSS probe in repository content renders as inert text', {
  timeout: 180_000,
}, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  const rig = await consoleRuntime(t);
  const stateDir = await auditChain(t, [DAY1, DAY2]);
  const review = await rig.run('code-review');
  assert.equal(review.status, 'succeeded');
  // Waits on a person for its write, then its command. Settled either way, so a failing test leaves no stray rejection.
  const deploying = rig.run('refactor', { environment: 'production' });
  const deployed = deploying.then(
    (r) => r,
    (err: unknown) => ({ status: 'threw', errorCode: String(err), runId: '' }),
  );
  const c = await startTestConsole(t, rig, { stateDir });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  t.after(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleLines: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => consoleLines.push(m.text()));
  const inert = async (where: string) => {
    const state = await page.evaluate(() => ({
      title: document.title,
      made: document.querySelectorAll('script, img, svg, iframe, object, embed, b, [onerror], [onload], [onmouseover]').length,
    }));
    assert.doesNotMatch(state.title, /pwned/, `${where}: a probe ran`);
    assert.equal(state.made, 0, `${where}: a probe became an element`);
  };
  const textOf = (selector: string) => page.locator(selector).allTextContents();
  const text = async (selector: string) => (await page.locator(selector).first().textContent()) ?? '';

  // Log in: the page asked for without a session goes to the login form.
  await page.goto(`${c.url}/runs`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('#secret', c.secret);
  await page.click('form.login button[type="submit"]');
  await page.waitForURL(`${c.url}/runs`);
  const session = (await context.cookies()).find((k) => k.name === 'ap_console_session')!;
  assert.deepEqual([session.httpOnly, session.sameSite, session.secure, session.path], [true, 'Strict', false, '/']);
  assert.equal(await page.evaluate(() => document.cookie), '', 'no script could read a cookie');

  // A finished run: findings and the applied diff, the probes as text.
  await page.click(`a[href="/runs/${review.runId}"]`);
  await page.waitForURL(`${c.url}/runs/${review.runId}`);
  assert.deepEqual(
    (await textOf('table.findings td.message')).map((s) => s.trim()),
    [PROBE.finding, PROBE.fileText.trim()],
  );
  assert.ok((await textOf('table.findings code')).includes(`${PROBE.fileName}:1`), 'the probe file name, as text');
  assert.ok((await textOf('td.summary')).some((s) => s.includes(PROBE.finding)));
  assert.deepEqual(await textOf('pre.diff span.add'), [`+${PROBE.fileText.trim()}`], 'the written file in the applied diff');
  await inert('run page');

  // The production run waits for its write: the approval shows the diff; approve it.
  await page.click('nav a[href="/approvals"]');
  await reloadUntil(page, 'the write to be asked about', async () => (await page.locator('a[href^="/approvals/0"]').count()) > 0);
  await page.locator('a[href^="/approvals/0"]').first().click();
  await page.waitForURL(/\/approvals\/[0-9A-Z]{26}$/);
  const writeUrl = page.url();
  assert.ok((await text('dl.facts')).includes('production'));
  assert.equal(await text('dl.preview dd code'), 'deploy.txt');
  assert.deepEqual(await textOf('pre.diff span.del'), ['-v1']);
  assert.deepEqual(await textOf('pre.diff span.add'), [`+${PROBE.deployText.trim()}`]);
  await inert('approval page');
  await page.fill('#note', 'reviewed the diff');
  await page.click('button[value="approve"]');
  await page.waitForURL(writeUrl);
  assert.match(await text('p.decided'), /approved .* by console:local-admin: reviewed the diff/);
  assert.equal(await page.locator('form.decision').count(), 0);

  // The run continues: its command is asked next. Reject it from the run's page.
  await page.click('dl.facts a[href^="/runs/"]');
  await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
  const runUrl = page.url();
  await reloadUntil(page, 'the command to be asked about', async () => (await page.locator('section.pending a').count()) > 0);
  assert.match(await text('section.pending'), /run_command asked by patch-applier/);
  await page.click('section.pending a');
  await page.waitForURL(/\/approvals\/[0-9A-Z]{26}$/);
  assert.equal(await text('code.argv'), 'ls');
  await page.click('button[value="reject"]');
  await page.waitForURL(/\/approvals\/[0-9A-Z]{26}$/);
  assert.match(await text('p.decided'), /rejected .* by console:local-admin/);

  const done = await deployed;
  assert.equal(done.status, 'succeeded');
  await page.goto(runUrl);
  assert.match(await text('td.summary'), /write ok; command approval_rejected/);
  assert.deepEqual(await textOf('pre.diff span.add'), [`+${PROBE.deployText.trim()}`], 'the approved write happened');
  assert.equal(await page.locator('section.pending').count(), 0, 'nothing waits any more');
  await inert('finished production run');

  // Environments: the rejection counted against the agent in production.
  await page.click('nav a[href="/environments"]');
  const production = page.locator('section.environment', { has: page.locator('h2', { hasText: 'production' }) });
  const row = production.locator('table.autonomy tr', { has: page.locator('td', { hasText: /^patch-applier$/ }) });
  assert.equal(((await row.locator('td').nth(1).textContent()) ?? '').trim(), 'observe');

  // What left: the chain, per day, and one day's batches with their digests.
  await page.click('nav a[href="/what-left"]');
  assert.match(await text('p.chain'), /The chain is intact: 3 records/);
  await page.click('a[href="/what-left/2026-05-10"]');
  assert.equal(await page.locator('code.digest').count(), 2);

  // Log out: the session ends, and the console sends the browser back to the login form.
  await page.click('form.logout button');
  await page.waitForURL(`${c.url}/login`);
  assert.equal(
    (await context.cookies()).find((k) => k.name === 'ap_console_session'),
    undefined,
  );
  await page.goto(`${c.url}/approvals`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(c.sessions.size, 0);

  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(
    consoleLines.filter((l) => /Content Security Policy|Refused to/i.test(l)),
    [],
    'nothing tried to run and was stopped by the CSP',
  );
});
