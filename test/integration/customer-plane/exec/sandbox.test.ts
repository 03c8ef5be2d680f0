import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import { createCommandRunner } from '../../../../customer-plane/tools/exec/runner.ts';
import { createLogger, silentLogger } from '../../../../shared/log.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

const REPO_ROOT = join(import.meta.dirname, '../../../..');
const FIXTURE = join(REPO_ROOT, 'test/fixtures/repos/hostile-test-hooks');
const probe = await createCommandRunner({ log: silentLogger() });
probe.dispose();

type Report = {
  reads: Array<{ path: string; ok: boolean; content?: string }>;
  connects: Array<{ ok: boolean; error?: string }>;
  writes: Array<{ path: string; ok: boolean; error?: string }>;
  environ: string;
};

test('npm test in a repository whose pretest hook and test file steal: credential reads, a socket and writes outside the workspace all fail while the tests pass', {
  skip: probe.sandbox === 'bwrap' ? false : 'bubblewrap cannot start here (.ci/run installs it)',
}, async (t) => {
  const canary = `canary-${process.pid}-${Date.now()}`;
  // The runner's private places: its state directory (secrets) and a home directory with credentials,
  // outside /tmp and /root so that hiding them is the runner's doing, not a default.
  mkdirSync(join(REPO_ROOT, '.state'), { recursive: true });
  const local = mkdtempSync(join(REPO_ROOT, '.state', 'sandbox-test-'));
  t.after(() => rmSync(local, { recursive: true, force: true }));
  const stateDir = join(local, 'state');
  const home = join(local, 'home');
  const outside = join(local, 'outside');
  for (const d of [stateDir, join(home, '.aws'), outside]) mkdirSync(d, { recursive: true });
  writeFileSync(join(stateDir, 'secrets.json'), JSON.stringify({ key: canary }));
  writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_secret_access_key = ${canary}\n`);
  writeFileSync(join(home, '.npmrc'), `//registry.npmjs.org/:_authToken=${canary}\n`);
  process.env.AGENTPLANE_SANDBOX_CANARY = canary;
  t.after(() => delete process.env.AGENTPLANE_SANDBOX_CANARY);

  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;

  const ws = mkdtempSync(join(tmpdir(), 'sandbox-ws-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  cpSync(FIXTURE, ws, { recursive: true });
  const writes = ['/etc/agentplane-pwned', join(outside, 'pwned'), join(stateDir, 'pwned'), join(REPO_ROOT, 'agentplane-pwned')];
  const reads = [
    join(stateDir, 'secrets.json'),
    join(home, '.aws', 'credentials'),
    join(home, '.npmrc'),
    '/root/.bashrc',
    '/proc/1/environ',
  ];
  writeFileSync(join(ws, 'targets.json'), JSON.stringify({ read: reads, connect: [{ host: '127.0.0.1', port }], write: writes }));

  const guard = await createCommandGuard();
  const runner = await createCommandRunner({ log: silentLogger(), hide: [stateDir, home] });
  t.after(() => runner.dispose());
  const verdict = guard.check('npm test', codingAgentPolicy);
  assert.ok(verdict.ok && verdict.command.runsRepositoryCode);
  const outcome = await runner.run(verdict.command, { cwd: ws, timeoutMs: 120_000, maxOutputBytes: 1 << 20 });
  assert.equal(outcome.exitCode, 0, `npm test should pass inside the sandbox:\n${outcome.stdout}\n${outcome.stderr}`);

  for (const phase of ['pretest', 'test-file']) {
    const path = join(ws, 'reports', `${phase}.json`);
    assert.ok(existsSync(path), `the ${phase} code ran and reported`);
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const r of report.reads) {
      if (r.path === '/proc/1/environ') continue;
      assert.equal(r.ok, false, `${phase} read ${r.path}`);
    }
    assert.ok(!readFileSync(path, 'utf8').includes(canary), `${phase} saw the canary somewhere (files or environment)`);
    assert.ok(!report.environ.includes('AGENTPLANE_SANDBOX_CANARY'));
    assert.deepEqual(
      report.connects.map((c) => c.ok),
      [false],
      `${phase} opened a socket`,
    );
    // A write under the sandbox's private /tmp (a checkout that lives in /tmp) lands in a tmpfs that
    // dies with the command: contained, and checked on the host below. Every other write must fail.
    for (const w of report.writes) {
      if (w.path.startsWith(`${realpathSync(tmpdir())}/`)) continue;
      assert.equal(w.ok, false, `${phase} wrote ${w.path}`);
    }
  }
  assert.equal(connections, 0, 'the listening server saw no connection');
  for (const w of writes) assert.equal(existsSync(w), false, `${w} exists on the host`);
});

test('where no sandbox can start, the runner says so once at start, and reports sandbox none', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const runner = await createCommandRunner({ log: createLogger({ service: 'test', destination: sink as never }), sandbox: 'none' });
  runner.dispose();
  assert.equal(runner.sandbox, 'none');
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.sandbox === 'none');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].msg, /need approval/);
});
