import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import { pidsWithArgumentUnder } from '../support/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The demo as a user runs it, with its temp folder redirected (TMPDIR) so the test can see whatever
 * it leaves behind, and the machine's Postgres made unreachable for it (TEST_PG_ADMIN_URL on a closed
 * port): by default the demo needs none. The folder is passable by others because the embedded
 * Postgres of a demo run as root runs as the postgres user.
 */
function demoEnv(t: TestContext): { env: NodeJS.ProcessEnv; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'ap-demo-'));
  chmodSync(tmp, 0o711);
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  return { tmp, env: { ...process.env, TMPDIR: tmp, TEST_PG_ADMIN_URL: 'postgres://postgres@127.0.0.1:1/postgres' } };
}

/** What the demo left in the temp folder; npm's own compile cache (npm runs with the same TMPDIR) is not the demo's. */
const leftIn = (tmp: string) => readdirSync(tmp).filter((name) => name !== 'node-compile-cache');

/** Nothing the demo started is left: no process with an argument under its temp folder, and the folder is empty. */
async function assertNothingLeft(tmp: string): Promise<void> {
  // Children get their parent's death signal, and a demo left by npm notices it was orphaned and
  // cleans up on its own: give them a moment to finish.
  for (let i = 0; i < 300 && (pidsWithArgumentUnder(tmp).length || leftIn(tmp).length); i++) await sleep(100);
  assert.deepEqual(pidsWithArgumentUnder(tmp), [], 'no process of the demo still running');
  assert.deepEqual(leftIn(tmp), [], 'no state dir, repository or database files left');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
}

test('npm run demo -- --json, with no Postgres on the machine: one JSON summary, exit 0 when the workflow succeeded, nothing left running or on disk', async (t) => {
  const { env, tmp } = demoEnv(t);
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, [`${ROOT}scripts/demo.ts`, '--json'], { env, timeout: 150_000 }, (err, out) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out });
    });
  });
  assert.equal(code, 0, stdout);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'only the summary is printed');
  const summary = JSON.parse(lines[0]);
  assert.equal(summary.ok, true);
  assert.equal(summary.workflow.status, 'succeeded');
  assert.deepEqual(
    summary.workflow.steps.map((s: { agent: string }) => s.agent),
    TEMPLATE_DEFINITIONS['code-review'].steps.map((s) => s.agent),
    'every step of the template',
  );
  for (const s of summary.workflow.steps) assert.equal(s.status, 'succeeded', s.agent);
  assert.ok(summary.link.up.meta.batches >= 1, 'signed metadata crossed up');
  assert.ok(summary.link.down.dispatch >= 1, 'a dispatch crossed down');
  const reviewer = summary.workflow.steps.find((s: { agent: string }) => s.agent === 'reviewer');
  assert.deepEqual(
    summary.usage.map((u: any) => [u.route, u.requests, u.input_tokens + u.cached_input_tokens + u.cache_creation_tokens, u.output_tokens]),
    [['direct', reviewer.llmCalls, reviewer.inputTokens, reviewer.outputTokens]],
    'the reviewer’s LLM calls are billed from the usage counters that came up',
  );
  assert.ok(summary.local.toolCalls >= 10, 'the agents’ tool calls went through the gate and stayed in the local record');
  const injection = summary.workflow.steps.find((s: { agent: string }) => s.agent === 'injection-scanner');
  assert.equal(injection.findings.high, 1, 'the sample’s planted injectable query is found, and only its count is in the summary');
  assert.ok(summary.local.findings >= 1, 'the finding itself is in the local record');
  assert.match(summary.local.command, /^STATE_DIR=\S+ npm run runs -- show [0-9A-Z]{26}$/);
  assert.match(summary.controlPlaneApi, /^http:\/\/127\.0\.0\.1:\d+$/);
  await assertNothingLeft(tmp);
});

test('a demo whose reader goes away (EPIPE on stdout) stops everything it started instead of crashing', async (t) => {
  const { env, tmp } = demoEnv(t);
  const child = spawn(process.execPath, [`${ROOT}scripts/demo.ts`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  // The reader takes the first two lines (the topology is starting by then), then closes the pipe.
  const lines = createInterface({ input: child.stdout! });
  let seen = 0;
  await new Promise<void>((resolve) =>
    lines.on('line', () => {
      if (++seen === 2) resolve();
    }),
  );
  child.stdout!.destroy();
  const code = await done;
  assert.equal(code, 1, `ended on its own, not killed: ${stderr}`);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|at .*\.ts:\d+/, 'no crash');
  await assertNothingLeft(tmp);
});

test('--keep stopped by SIGINT leaves nothing running or on disk', async (t) => {
  const { env, tmp } = demoEnv(t);
  const child = spawn(process.execPath, [`${ROOT}scripts/demo.ts`, '--keep', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  t.after(() => child.kill('SIGKILL'));
  const summary = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  assert.equal(JSON.parse(summary).ok, true);
  assert.ok(pidsWithArgumentUnder(tmp).length >= 4, 'both planes, the hub, the leaf and the Postgres servers keep running');
  child.kill('SIGINT');
  assert.equal(await done, 130);
  await assertNothingLeft(tmp);
});

test('--keep run through npm and stopped by SIGTERM to npm leaves nothing running or on disk', async (t) => {
  const { env, tmp } = demoEnv(t);
  const child = spawn('npm', ['run', '-s', 'demo', '--', '--keep', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  t.after(() => child.kill('SIGKILL'));
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  assert.equal(JSON.parse(first).ok, true, 'with -s, npm prints no banner: the first line is the summary');
  child.kill('SIGTERM');
  await done;
  await assertNothingLeft(tmp);
});
