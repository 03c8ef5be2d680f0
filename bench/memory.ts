/**
 * npm run bench:memory — what agent memory saves: the code-review template run on the node-shop fixture
 * repository (test/fixtures/repos/node-shop, without its answer key) four times in a row through the
 * customer plane's runtime, with memory on:
 *
 *   1. cold: memory empty
 *   2. the repository unchanged: target — at most half the LLM calls and half the tokens of run 1
 *   3. one file's content changed (a price constant in src/pricing.js; same length, same symbols):
 *      target — only the model turns whose conversation holds that file are recomputed
 *   4. the same file gains a function: the index the reviewer is given first lists it, so every one of
 *      the reviewer's turns depends on the file — target: all recomputed, with the new symbol in each
 *
 * The LLM is the FAKE OpenAI provider on loopback (scripts/fakes), scripted to behave like a reviewer
 * that lists the workspace and reads every source file, two per turn (scripts/fakes/reading-model.ts):
 * LLM calls are real HTTP requests to it, tokens its simulated usage. Postgres is real: a scratch
 * database on TEST_PG_ADMIN_URL's server (default 127.0.0.1:5432), dropped at the end. Deterministic
 * steps (index, scanners, lint, complexity) run every time; they make no LLM call.
 *
 * Options: --json (one JSON object instead of the table). Exit code 1 when a target is missed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readingModel } from '../scripts/fakes/reading-model.ts';
import type { ScriptedRequest } from '../scripts/fakes/index.ts';
import { startMemoryRuntime } from './support/memory-runtime.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/repos/node-shop');
const CHANGED = 'src/pricing.js';
const json = process.argv.includes('--json');

const repoDir = mkdtempSync(join(tmpdir(), 'ap-bench-memory-repo-'));
cpSync(FIXTURE, repoDir, { recursive: true, filter: (src) => !src.endsWith('/expected.json') });
const original = readFileSync(join(repoDir, CHANGED), 'utf8');

let requests: ScriptedRequest[] = [];
const runtime = await startMemoryRuntime({ repoDir, script: readingModel({ perTurn: 2, onRequest: (r) => requests.push(r) }) });
const cleanup = async () => {
  await runtime.close();
  rmSync(repoDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

type Row = { run: string; status: string; calls: number; tokens: number; reused: number; ms: number };
const rows: Row[] = [];
const checks: Array<{ ok: boolean; text: string }> = [];
/** Whether a request's conversation holds the changed file's content as a tool result. */
const holds = (r: ScriptedRequest, text: string) =>
  r.messages.some(
    (m) => m.role === 'tool' && m.content.includes(`"path":"${CHANGED}"`) && m.content.includes(JSON.stringify(text).slice(1, -1)),
  );

try {
  const run = async (name: string) => {
    requests = [];
    const r = await runtime.run('code-review');
    rows.push({
      run: name,
      status: r.status === 'succeeded' ? r.status : `${r.status} (${r.errorCode})`,
      calls: r.calls,
      tokens: r.tokens,
      reused: r.reused,
      ms: Math.round(r.ms),
    });
    return { ...r, requests };
  };
  const cold = await run('1 cold (memory empty)');
  const warm = await run('2 repository unchanged');
  checks.push({
    ok: warm.calls <= cold.calls / 2,
    text: `run 2 makes at most half the LLM calls of run 1 (${warm.calls} ≤ ${cold.calls / 2})`,
  });
  checks.push({
    ok: warm.tokens <= cold.tokens / 2,
    text: `run 2 uses at most half the tokens of run 1 (${warm.tokens} ≤ ${cold.tokens / 2})`,
  });
  checks.push({ ok: cold.status === 'succeeded' && warm.status === 'succeeded', text: 'both runs succeeded' });

  const edited = original.replace('cost = 25;', 'cost = 27;');
  if (edited === original) throw new Error(`the fixture's ${CHANGED} no longer has the line this bench edits`);
  writeFileSync(join(repoDir, CHANGED), edited);
  const body = await run(`3 ${CHANGED}: a constant changed`);
  const holding = body.requests.filter((r) => holds(r, 'cost = 27;')).length;
  checks.push({
    ok: body.calls > 0 && holding === body.calls && body.calls + body.reused === cold.calls,
    text: `run 3 recomputes only turns whose conversation holds the new ${CHANGED}: ${body.calls} live, all of them holding it; the ${body.reused} turns before it reused`,
  });

  const grown = `${edited}\nexport function handlingFee(order) {\n  return order.items.length;\n}\n`;
  writeFileSync(join(repoDir, CHANGED), grown);
  const fn = await run(`4 ${CHANGED}: a function added`);
  const seeIt = fn.requests.filter((r) => r.messages.some((m) => m.role === 'user' && m.content.includes('handlingFee'))).length;
  checks.push({
    ok: fn.calls === cold.calls && seeIt === fn.calls && fn.reused === 0,
    text: `run 4 recomputes every reviewer turn (${fn.calls} of ${cold.calls}): the index each one starts from lists the new function`,
  });
} finally {
  await cleanup();
}

const base = rows[0];
if (json) {
  process.stdout.write(`${JSON.stringify({ llm: 'fake-openai (loopback)', template: 'code-review', repo: 'node-shop', rows, checks })}\n`);
} else {
  const ratio = (a: number, b: number) => (b === 0 ? '-' : (a / b).toFixed(2));
  const head = ['run', 'status', 'LLM calls', 'tokens', 'turns reused', 'calls vs run 1', 'tokens vs run 1', 'ms'];
  const lines = rows.map((r) => [
    r.run,
    r.status,
    String(r.calls),
    String(r.tokens),
    String(r.reused),
    ratio(r.calls, base.calls),
    ratio(r.tokens, base.tokens),
    String(r.ms),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(
    [
      'bench:memory — code-review on the node-shop fixture, four runs in a row with agent memory on',
      'LLM: the FAKE OpenAI provider on loopback (scripts/fakes), scripted to list the workspace and read every',
      '     source file, two per turn; calls are HTTP requests it received, tokens its simulated usage.',
      `Postgres: scratch database ${runtime.database} (dropped). Deterministic steps run every time (no LLM).`,
      '',
      fmt(head),
      ...lines.map(fmt),
      '',
      ...checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.text}`),
      '',
    ].join('\n'),
  );
}
process.exit(checks.every((c) => c.ok) ? 0 : 1);
