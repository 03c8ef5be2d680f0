import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../../shared/db/pool.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';
import { readingModel } from '../../../scripts/fakes/reading-model.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

/**
 * The five layers on a real code-review run (real Postgres, the fake OpenAI scripted to read every
 * source file), what each keeps, and their deletion through `npm run memory -- forget`.
 */

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const SAMPLE = {
  'README.md': '# shop\n',
  'src/cart.ts': 'export function total(items: number[]) {\n  return items.reduce((a, b) => a + b, 0);\n}\n',
  'src/canary_sample_q7x.ts': '// CANARY-SAMPLE-Q7X\nexport function canarySampleQ7x() {\n  return 1;\n}\n',
};
const OTHER = { 'README.md': '# other\n', 'src/other.ts': 'export const other = 2;\n' };

/** Queries of the run's end fail while `down` is set (the roll-up's first read), as when the database drops then. */
function rollUpFails(state: { down: boolean }) {
  return (pool: Db): Db =>
    new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (...args: Parameters<Db['query']>) => {
          if (state.down && typeof args[0] === 'string' && args[0].includes('FROM memory.working WHERE run_id'))
            return Promise.reject(Object.assign(new Error('connection terminated (test)'), { code: '57P01' }));
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
}

test('each layer keeps its part of a run: the working scratchpad until the run ends, then the episode, the files by content hash with their symbols, the tool sequences, and each agent’s record', async (t) => {
  const state = { down: true };
  const rig = await startRuntimeRig(t, { repoFiles: SAMPLE, memory: true, script: readingModel(), wrapDb: rollUpFails(state) });
  const runId = '01JZZZZZZZZZZZZZZZZZZZZZZ1';
  await assert.rejects(rig.run('code-review', { workflowId: runId }), { code: 'ledger_unavailable' }, 'the run’s end is retried, not lost');

  const working = await rig.query<{
    step_key: string;
    agent: string;
    autonomy: string;
    files: Array<{ path: string; sha256: string }>;
    tools: Array<{ tool: string; target: string }>;
    turns_live: number;
  }>('SELECT * FROM memory.working WHERE run_id = $1 ORDER BY step_key', [runId]);
  assert.deepEqual(
    working.map((w) => w.step_key),
    ['complexity', 'index', 'injection', 'lint', 'review', 'secrets'],
    'a scratchpad row per step while the run is open',
  );
  const review = working.find((w) => w.step_key === 'review')!;
  assert.deepEqual(
    review.tools.map((x) => `${x.tool} ${x.target}`),
    ['list_files ', 'read_file src/canary_sample_q7x.ts', 'read_file src/cart.ts'],
  );
  assert.deepEqual(
    review.files.map((f) => [f.path, f.sha256]),
    [
      ['src/canary_sample_q7x.ts', sha(SAMPLE['src/canary_sample_q7x.ts'])],
      ['src/cart.ts', sha(SAMPLE['src/cart.ts'])],
    ],
  );
  assert.deepEqual([review.autonomy, review.turns_live], ['assisted', 4]);

  state.down = false;
  const redelivered = await rig.run('code-review', { workflowId: runId });
  assert.equal(redelivered.status, 'succeeded');
  assert.deepEqual(await rig.query('SELECT * FROM memory.working'), [], 'the scratchpad is cleared once rolled up');

  const [episode] = await rig.query<Record<string, unknown>>('SELECT * FROM memory.episodes');
  assert.deepEqual(
    [episode.repo, episode.environment, episode.template, episode.status, episode.steps, episode.llm_calls, episode.files_changed],
    ['sample', 'sandbox', 'code-review', 'succeeded', 6, 4, null],
  );
  const files = await rig.query<{ path: string; sha256: string; language: string; symbols: Array<{ name: string }> | null }>(
    'SELECT path, sha256, language, symbols FROM memory.semantic_files ORDER BY path',
  );
  assert.deepEqual(
    files.map((f) => [f.path, f.sha256]),
    Object.entries(SAMPLE)
      .map(([p, text]) => [p, sha(text)])
      .sort(),
  );
  const cart = files.find((f) => f.path === 'src/cart.ts')!;
  assert.deepEqual([cart.language, cart.symbols?.map((s) => s.name)], ['typescript', ['total']], 'the indexer’s symbols, by content hash');
  const procedures = await rig.query<{ step_key: string; agent: string; sequence: Array<{ tool: string }>; successes: number }>(
    'SELECT step_key, agent, sequence, successes FROM memory.procedures ORDER BY step_key',
  );
  assert.deepEqual(
    procedures.map((p) => p.step_key),
    ['complexity', 'index', 'injection', 'lint', 'review', 'secrets'],
  );
  assert.deepEqual(
    procedures.find((p) => p.step_key === 'review')!.sequence.map((s) => s.tool),
    ['list_files', 'read_file', 'read_file'],
  );
  const standing = await rig.query<{ agent: string; environment: string; level: string; successes: number }>(
    'SELECT agent, environment, level, successes FROM memory.standing ORDER BY agent',
  );
  assert.deepEqual(
    standing.map((s) => [s.agent, s.environment, s.level, s.successes]),
    ['complexity-analyzer', 'indexer', 'injection-scanner', 'lint-runner', 'reviewer', 'secret-scanner'].map((a) => [
      a,
      'sandbox',
      'assisted',
      1,
    ]),
  );

  // Same length and symbols (so the index the reviewer starts from is the same): only the content is new.
  writeFileSync(join(rig.repoDir, 'src/cart.ts'), SAMPLE['src/cart.ts'].replace('a + b', 'a - b'));
  await rig.run('code-review');
  const [, second] = await rig.query<{ files_changed: number; turns_reused: number }>(
    'SELECT files_changed, turns_reused FROM memory.episodes ORDER BY finished_at',
  );
  assert.deepEqual(
    [second.files_changed, second.turns_reused],
    [1, 3],
    'one file changed since the last run; the turns before reading it were reused',
  );
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/cli/memory.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every row of every memory table, as text. */
async function dump(rig: Awaited<ReturnType<typeof startRuntimeRig>>): Promise<string> {
  const tables = await rig.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'memory' AND table_name <> 'migrations' ORDER BY 1`,
  );
  assert.equal(tables.length, 7);
  let out = '';
  for (const { table_name } of tables) {
    const rows = await rig.query<{ row: string }>(`SELECT t::text AS row FROM memory.${table_name} t`);
    out += rows.map((r) => `${table_name} ${r.row}\n`).join('');
  }
  return out;
}

test('npm run memory -- forget --repo deletes everything memory holds of that repository and nothing of another; --all deletes everything; bad requests change nothing', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: SAMPLE, moreRepos: { other: OTHER }, memory: true, script: readingModel() });
  await rig.run('code-review');
  await rig.run('code-review', { repo: 'other' });
  const env = { DATABASE_URL: rig.databaseUrl };
  const before = await dump(rig);
  for (const probe of ['CANARY-SAMPLE-Q7X', 'canary_sample_q7x', 'canarySampleQ7x', '(sample,', 'other.ts'])
    assert.ok(before.includes(probe), `memory holds ${probe} before`);

  for (const bad of [
    [],
    ['forget'],
    ['forget', '--repo', 'Not An Alias'],
    ['forget', '--repo', 'sample', '--all'],
    ['forget', '--repo'],
    ['forget', '--everything'],
  ]) {
    const r = await cli(bad, env);
    assert.equal(r.code, 2, `${bad.join(' ')} is a usage error`);
    assert.match(r.stderr, /^memory: .+\nusage: npm run memory -- forget/);
  }
  assert.equal(await dump(rig), before, 'nothing deleted by a bad request');

  const forgot = await cli(['forget', '--repo', 'sample'], env);
  assert.equal(forgot.code, 0, forgot.stderr);
  assert.match(
    forgot.stdout,
    /^forgot repository sample: \d+ rows \(working 0, episodes 1, semantic_files 3, semantic_turns 4, procedures 6, standing_events 6, standing 0\)/,
  );
  const after = await dump(rig);
  for (const probe of ['CANARY-SAMPLE-Q7X', 'canary_sample_q7x', 'canarySampleQ7x', 'sample'])
    assert.ok(!after.includes(probe), `nothing of the repository remains: ${probe}`);
  assert.ok(after.includes('other.ts'), 'the other repository’s memory is kept');
  assert.match(after, /^standing \(reviewer,sandbox,assisted,2,/m, 'the agents’ counts (no repository data) are kept');

  const levels = await cli(['levels', '--env', 'sandbox'], env);
  assert.equal(levels.code, 0, levels.stderr);
  assert.match(levels.stdout, /^ENVIRONMENT\s+AGENT\s+LEVEL/);
  assert.match(levels.stdout, /\nsandbox\s+reviewer\s+assisted\s+100%\s+2\s+0\s+0\s+0\s+-\n/);
  assert.equal(levels.stdout.trim().split('\n').length, 1 + 28, 'every agent, with the start level where it has no record');

  assert.ok((await dump(rig)).includes('semantic_turns (other,sandbox,'), 'the other repository’s turns are there');
  const override = await cli(['override', '--agent', 'reviewer', '--env', 'sandbox', '--repo', 'other', '--ref', 'patch-42'], env);
  assert.equal(override.code, 0, override.stderr);
  assert.equal(override.stdout, 'override recorded: reviewer in sandbox is now observe (was assisted)\n');
  assert.ok(!(await dump(rig)).includes('semantic_turns (other,sandbox,'), 'the overridden agent’s turns in that repository are dropped');
  assert.equal((await cli(['reset', '--agent', 'reviewer', '--env', 'sandbox', '--repo', 'other'], env)).code, 2);
  assert.equal((await cli(['override', '--agent', 'nobody', '--env', 'sandbox'], env)).code, 2);
  assert.equal((await cli(['levels', '--env', 'Prod!'], env)).code, 2);
  const json = JSON.parse((await cli(['levels', '--json', '--env', 'sandbox'], env)).stdout) as Array<{ agent: string; level: string }>;
  assert.equal(json.find((r) => r.agent === 'reviewer')!.level, 'observe');

  const all = await cli(['forget', '--all'], env);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(await dump(rig), '', 'nothing left at all');
});
