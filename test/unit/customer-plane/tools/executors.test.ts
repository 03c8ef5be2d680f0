import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommandRunner } from '../../../../customer-plane/tools/exec/runner.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { executeTool } from '../../../../customer-plane/tools/execute.ts';
import { createWorkspace, type Workspace } from '../../../../customer-plane/workspace/workspace.ts';

// The runner the customer plane wires: argv arrays, no shell, bubblewrap where it starts.
const runner = await createCommandRunner({ log: silentLogger() });
after(() => runner.dispose());

async function setup(t: { after(fn: () => void | Promise<void>): void }) {
  const base = mkdtempSync(join(tmpdir(), 'tools-'));
  const repo = join(base, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  writeFileSync(join(repo, 'src/a.ts'), 'one\ntwo\nthree\nfour\n');
  writeFileSync(join(repo, 'src/b.ts'), 'const q = "SELECT * FROM t WHERE id = " + id;\n');
  writeFileSync(join(repo, 'big.txt'), 'x'.repeat(300 * 1024));
  writeFileSync(join(repo, 'blob.bin'), Buffer.from([1, 0, 2, 0, 3]));
  // Installed dependencies and caches: copied so commands can use them, but not workspace content.
  mkdirSync(join(repo, 'node_modules/dep'), { recursive: true });
  writeFileSync(join(repo, 'node_modules/dep/index.js'), 'SELECT * FROM t WHERE id = \n');
  mkdirSync(join(repo, 'src/__pycache__'), { recursive: true });
  writeFileSync(join(repo, 'src/__pycache__/a.cpython-311.pyc'), 'SELECT * FROM t WHERE id = \n');
  mkdirSync(join(base, 'ws'));
  const ws = await createWorkspace({ sourceDir: repo, parentDir: join(base, 'ws'), runId: '01JTOOLSTEST00000000000001' });
  t.after(async () => {
    await ws.destroy();
    rmSync(base, { recursive: true, force: true });
  });
  return ws;
}

const ctx = (ws: Workspace, extra: Partial<Parameters<typeof executeTool>[1]> = {}) => ({
  workspace: ws,
  runner,
  signal: new AbortController().signal,
  ...extra,
});
const abs = async (ws: Workspace, rel: string) => {
  const c = await ws.check(rel);
  assert.ok(c.ok);
  return c.abs;
};

test('list_files gives newline-separated relative paths; read_file gives the text, a line range, and refuses huge or binary files', async (t) => {
  const ws = await setup(t);
  const listed = await executeTool({ tool: 'list_files', input: {} }, ctx(ws));
  assert.deepEqual(listed.ok && listed.output.split('\n'), ['big.txt', 'blob.bin', 'src/a.ts', 'src/b.ts']);
  const read = await executeTool({ tool: 'read_file', input: { path: 'src/a.ts' }, abs: await abs(ws, 'src/a.ts') }, ctx(ws));
  assert.equal(read.ok && read.output, 'one\ntwo\nthree\nfour\n');
  const range = await executeTool(
    { tool: 'read_file', input: { path: 'src/a.ts', startLine: 2, endLine: 3 }, abs: await abs(ws, 'src/a.ts') },
    ctx(ws),
  );
  assert.equal(range.ok && range.output, 'two\nthree');
  const big = await executeTool({ tool: 'read_file', input: { path: 'big.txt' }, abs: await abs(ws, 'big.txt') }, ctx(ws));
  assert.deepEqual(!big.ok && [big.decision, big.reason], ['error', 'too_large']);
  const bigRange = await executeTool(
    { tool: 'read_file', input: { path: 'big.txt', startLine: 1, endLine: 1 }, abs: await abs(ws, 'big.txt') },
    ctx(ws),
  );
  assert.ok(bigRange.ok && bigRange.truncated, 'a range of a large file is readable, capped');
  const bin = await executeTool({ tool: 'read_file', input: { path: 'blob.bin' }, abs: await abs(ws, 'blob.bin') }, ctx(ws));
  assert.equal(!bin.ok && bin.reason, 'not_text');
  const missing = await executeTool({ tool: 'read_file', input: { path: 'nope.ts' }, abs: await abs(ws, 'nope.ts') }, ctx(ws));
  assert.equal(!missing.ok && missing.reason, 'not_found');
});

test('installed dependencies and caches are in the workspace for commands, but not listed, not searched and not a change of the run', async (t) => {
  const ws = await setup(t);
  assert.ok(existsSync(join(ws.root, 'node_modules/dep/index.js')), 'node_modules is copied: tests and linters run offline with it');
  const hits = await executeTool({ tool: 'search', input: { pattern: 'SELECT' } }, ctx(ws));
  assert.equal(hits.ok && hits.output, 'src/b.ts:1:const q = "SELECT * FROM t WHERE id = " + id;');
  writeFileSync(join(ws.root, 'node_modules/dep/index.js'), 'rebuilt by a test run\n');
  writeFileSync(join(ws.root, 'src/__pycache__/b.cpython-311.pyc'), 'compiled by a test run\n');
  assert.equal(await ws.snapshot(), ws.baselineTree, 'what a test run leaves in them is not recorded as the run’s change');
});

test('search finds literal text and POSIX regular expressions as path:line:text lines, caps results, and reports a bad pattern', async (t) => {
  const ws = await setup(t);
  const lit = await executeTool({ tool: 'search', input: { pattern: '" + id' } }, ctx(ws));
  assert.equal(lit.ok && lit.output, 'src/b.ts:1:const q = "SELECT * FROM t WHERE id = " + id;');
  const re = await executeTool({ tool: 'search', input: { pattern: '^t(wo|hree)$', regex: true, dir: 'src' } }, ctx(ws));
  assert.equal(re.ok && re.output, 'src/a.ts:2:two\nsrc/a.ts:3:three');
  const capped = await executeTool({ tool: 'search', input: { pattern: 'o', maxResults: 1 } }, ctx(ws));
  assert.ok(capped.ok && capped.truncated && capped.output.split('\n').length === 1);
  // A catastrophically backtracking pattern over a 300 KB line runs in its own process and is killed at the timeout.
  const evil = await executeTool({ tool: 'search', input: { pattern: '(x+x+)+y', regex: true } }, ctx(ws, { searchTimeoutMs: 500 }));
  assert.deepEqual(!evil.ok && [evil.decision, evil.reason], ['error', 'timeout']);
  const bad = await executeTool({ tool: 'search', input: { pattern: 'a{2', regex: true } }, ctx(ws));
  assert.equal(!bad.ok && bad.reason, 'failed');
});

test('write_file creates directories, apply_patch applies a unified diff only if it applies cleanly, delete_file removes one file', async (t) => {
  const ws = await setup(t);
  const w = await executeTool(
    { tool: 'write_file', input: { path: 'new/dir/c.ts', content: 'c\n' }, abs: await abs(ws, 'new/dir/c.ts') },
    ctx(ws),
  );
  assert.ok(w.ok);
  assert.equal(readFileSync(join(ws.root, 'new/dir/c.ts'), 'utf8'), 'c\n');
  const diff = '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n';
  const p = await executeTool({ tool: 'apply_patch', input: { diff }, paths: ['src/a.ts'] }, ctx(ws));
  assert.ok(p.ok);
  assert.equal(readFileSync(join(ws.root, 'src/a.ts'), 'utf8'), 'ONE\ntwo\nthree\nfour\n');
  const stale = await executeTool({ tool: 'apply_patch', input: { diff }, paths: ['src/a.ts'] }, ctx(ws));
  assert.equal(!stale.ok && stale.reason, 'failed', 'the same diff again does not apply');
  assert.equal(readFileSync(join(ws.root, 'src/a.ts'), 'utf8'), 'ONE\ntwo\nthree\nfour\n', 'and changed nothing');
  const d = await executeTool({ tool: 'delete_file', input: { path: 'src/b.ts' }, abs: await abs(ws, 'src/b.ts') }, ctx(ws));
  assert.ok(d.ok);
  assert.equal(existsSync(join(ws.root, 'src/b.ts')), false);
  const dirDelete = await executeTool({ tool: 'delete_file', input: { path: 'src' }, abs: await abs(ws, 'src') }, ctx(ws));
  assert.equal(dirDelete.ok, false, 'directories are not deleted');
});

test('apply_patch writes nothing when git reads the diff as changing a file the gate did not check — a renamed file’s source included', async (t) => {
  const ws = await setup(t);
  const both =
    '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n--- a/src/b.ts\n+++ b/src/b.ts\n@@ -1 +1 @@\n-const q = "SELECT * FROM t WHERE id = " + id;\n+const q = 1;\n';
  // As if the gate's reading of the diff had missed its second file.
  const missed = await executeTool({ tool: 'apply_patch', input: { diff: both }, paths: ['src/a.ts'] }, ctx(ws));
  assert.equal(!missed.ok && missed.reason, 'path_invalid');
  assert.match(!missed.ok ? missed.message : '', /"src\/b\.ts", which the gate did not check/);
  assert.equal(readFileSync(join(ws.root, 'src/a.ts'), 'utf8'), 'one\ntwo\nthree\nfour\n', 'not even the checked file was changed');

  const rename = 'diff --git a/src/b.ts b/src/c.ts\nsimilarity index 100%\nrename from src/b.ts\nrename to src/c.ts\n';
  const sourceMissed = await executeTool({ tool: 'apply_patch', input: { diff: rename }, paths: ['src/c.ts'] }, ctx(ws));
  assert.equal(!sourceMissed.ok && sourceMissed.reason, 'path_invalid', 'the file a rename deletes is a file it changes');
  assert.equal(existsSync(join(ws.root, 'src/b.ts')), true);
  const renamed = await executeTool({ tool: 'apply_patch', input: { diff: rename }, paths: ['src/b.ts', 'src/c.ts'] }, ctx(ws));
  assert.ok(renamed.ok, 'with both names checked the rename applies');
  assert.deepEqual([existsSync(join(ws.root, 'src/b.ts')), existsSync(join(ws.root, 'src/c.ts'))], [false, true]);

  const created = '--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1 @@\n+new\n';
  const createdMissed = await executeTool({ tool: 'apply_patch', input: { diff: created }, paths: ['src/a.ts'] }, ctx(ws));
  assert.equal(!createdMissed.ok && createdMissed.reason, 'path_invalid', 'a created file is a file it changes');
  assert.equal(existsSync(join(ws.root, 'src/new.ts')), false);
});

test('run_command runs the resolved argv in the workspace and returns its output, with the exit code in data.exitCode (127: not installed)', async (t) => {
  const ws = await setup(t);
  const run = (argv: string[]) =>
    executeTool(
      {
        tool: 'run_command',
        input: { command: argv.join(' ') },
        command: { pipeline: [argv], redirects: [], consequences: [], runsRepositoryCode: false },
      },
      ctx(ws),
    );
  const r = await run(['ls', 'src']);
  assert.equal(r.ok && r.output, '__pycache__\na.ts\nb.ts\n[exit 0]');
  assert.deepEqual(r.ok && r.data, { exitCode: 0, signal: null, stdoutChars: '__pycache__\na.ts\nb.ts\n'.length });
  const failing = await run(['ls', 'no-such-dir']);
  assert.equal(failing.ok, true, 'a command that ran and failed is a result, not a refusal');
  assert.equal(failing.ok && (failing.data as { exitCode: number }).exitCode, 2);
  assert.match(failing.ok ? failing.output : '', /\[stderr\][\s\S]*no-such-dir[\s\S]*\[exit 2\]$/);
  const missing = await run(['no-such-program-here']);
  assert.equal(missing.ok && (missing.data as { exitCode: number }).exitCode, 127);
});

test('fetch_url (once approved) returns status and body, and does not follow a redirect to another URL', async (t) => {
  const ws = await setup(t);
  const server = createServer((req, res) => {
    if (req.url === '/moved') res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
    else res.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ok = await executeTool({ tool: 'fetch_url', input: { url: `${base}/` }, url: new URL(`${base}/`) }, ctx(ws));
  assert.equal(ok.ok && ok.output, '[status 200]\nhello');
  const moved = await executeTool({ tool: 'fetch_url', input: { url: `${base}/moved` }, url: new URL(`${base}/moved`) }, ctx(ws));
  assert.match(moved.ok ? moved.output : '', /^\[status 302\]/);
});
