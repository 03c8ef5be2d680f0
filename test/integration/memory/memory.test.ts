import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerChatRequest } from '../../../customer-plane/llm/types.ts';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../../customer-plane/memory/config.ts';
import { createMemory, type StepScope } from '../../../customer-plane/memory/memory.ts';
import type { FinishedRun } from '../../../customer-plane/memory/rollup.ts';
import { turnKey } from '../../../customer-plane/memory/turn-cache.ts';
import { readWorking } from '../../../customer-plane/memory/working.ts';
import { LedgerError } from '../../../customer-plane/runner/ledger/journal.ts';
import type { StepToolBox } from '../../../customer-plane/tools/toolbox.ts';
import type { Db } from '../../../shared/db/pool.ts';
import { silentLogger } from '../../../shared/log.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { downDb, memoryDatabase } from '../../support/memory-db.ts';

/**
 * The memory as the runner uses it, called directly against a scratch database: a step's turns are kept
 * only when it succeeded, its scratchpad is noted either way, a run's end counts each step for its agent,
 * and a person's override drops the agent's remembered turns in that environment and nothing else.
 */

const freshDb = memoryDatabase({ after });
const config: MemoryConfig = {
  ...DEFAULT_MEMORY_CONFIG,
  autonomy: { initial: 'assisted', promoteAfter: 2, promoteMinSuccessRate: 0.5, demoteAfterFailures: 2, demoteAfterOverrides: 1 },
};
const memoryOn = (db: Db, log = silentLogger()) => createMemory({ db, config, log, tenant: 't1', llmIdentity: 'direct:abc' });

const scope = (o: Partial<StepScope> = {}): StepScope => ({
  runId: 'run-1',
  stepId: 'step-1',
  repo: 'shop',
  environment: 'sandbox',
  template: 'code-review',
  stepKey: 'review',
  ...o,
});
const request = (task = 'Review src/a.ts'): RunnerChatRequest => ({ model: 'core', messages: [{ role: 'user', content: task }] });
const reply = (text: string) => ({ message: { content: text }, inputTokens: 10, outputTokens: 2 });
const box = { callRaw: async () => ({ ok: true, output: 'export const a = 1;\n' }) } as unknown as StepToolBox;

/** A step of `agent` that read one file and got one live model turn, closed as it ended. */
async function runStep(db: Db, s: StepScope, agent: string, succeeded: boolean, extra: { output?: unknown; task?: string } = {}) {
  const memory = memoryOn(db);
  const opened = memory.openStep(s, agent);
  await opened.trace.wrap(box).callRaw('read_file', { path: 'src/a.ts' });
  opened.memo.remember(opened.memo.keyOf(request(extra.task)), reply(`${agent} in ${s.repo}/${s.environment}`));
  const step = { agent, autonomy: 'assisted' as const, succeeded, baseline: true, turnsLive: 1, output: extra.output as never };
  await memory.closeStep(s, step, opened);
  return memory;
}

const found = async (db: Db, s: StepScope, agent = 'reviewer', task?: string) => {
  const { memo } = memoryOn(db).openStep(s, agent);
  return (await memo.lookup(memo.keyOf(request(task))))?.message.content;
};

test('a step’s memo is keyed by the tenant, the model map, its repository and its environment', async () => {
  const db = await freshDb();
  const { memo, trace } = memoryOn(db).openStep(scope({ repo: 'shop-2', environment: 'preview' }), 'reviewer');
  assert.equal(
    memo.keyOf(request()),
    turnKey({ tenant: 't1', llmIdentity: 'direct:abc', repo: 'shop-2', environment: 'preview' }, request()),
  );
  assert.deepEqual([trace.files(), trace.tools()], [[], []], 'a fresh trace');
});

test('a succeeded step keeps its turns and notes its scratchpad; a failed step keeps no turn but is noted', async () => {
  const db = await freshDb();
  await runStep(db, scope(), 'reviewer', true);
  assert.equal(await found(db, scope()), 'reviewer in shop/sandbox');
  await runStep(db, scope({ stepId: 'step-2' }), 'reviewer', false, { task: 'Review src/b.ts' });
  assert.equal(await found(db, scope(), 'reviewer', 'Review src/b.ts'), undefined, 'the failed step’s turn is not kept');

  const rows = await readWorking(db, 'run-1');
  assert.deepEqual(
    rows.map((w) => [w.stepId, w.agent, w.autonomy, w.succeeded, w.baseline, w.turnsLive, w.turnsReused, w.indexFiles]),
    [
      ['step-1', 'reviewer', 'assisted', true, true, 1, 0, undefined],
      ['step-2', 'reviewer', 'assisted', false, true, 1, 0, undefined],
    ],
  );
  assert.deepEqual(rows[0].tools, [{ tool: 'read_file', target: 'src/a.ts', ok: true }]);
  assert.deepEqual(
    rows[0].files.map((f) => [f.path, f.full]),
    [['src/a.ts', true]],
  );
});

test('a step that reused a turn notes how many it reused', async () => {
  const db = await freshDb();
  await runStep(db, scope(), 'reviewer', true);
  const memory = memoryOn(db);
  const opened = memory.openStep(scope({ runId: 'run-2' }), 'reviewer');
  assert.ok(await opened.memo.lookup(opened.memo.keyOf(request())));
  await memory.closeStep(
    scope({ runId: 'run-2' }),
    { agent: 'reviewer', autonomy: 'observe', succeeded: true, baseline: false, turnsLive: 0 },
    opened,
  );
  assert.deepEqual(
    (await readWorking(db, 'run-2')).map((w) => [w.autonomy, w.baseline, w.turnsLive, w.turnsReused]),
    [['observe', false, 0, 1]],
  );
});

test('only a succeeded indexer’s output is noted as the repository’s index', async () => {
  const db = await freshDb();
  const output = {
    summary: 'indexed',
    findings: [],
    patches: [],
    data: {
      files: [{ path: 'src/a.ts', language: 'typescript', lines: 1 }],
      symbols: [{ file: 'src/a.ts', name: 'a', kind: 'const', line: 1 }],
    },
  };
  await runStep(db, scope({ stepId: 'ix-ok' }), 'indexer', true, { output });
  await runStep(db, scope({ stepId: 'ix-failed' }), 'indexer', false, { output });
  await runStep(db, scope({ stepId: 'other' }), 'reviewer', true, { output });
  const byStep = new Map((await readWorking(db, 'run-1')).map((w) => [w.stepId, w.indexFiles]));
  assert.deepEqual(byStep.get('ix-ok'), [
    { path: 'src/a.ts', language: 'typescript', lines: 1, symbols: [{ name: 'a', kind: 'const', line: 1 }] },
  ]);
  assert.equal(byStep.get('ix-failed'), undefined);
  assert.equal(byStep.get('other'), undefined);
});

test('a scratchpad the database cannot take is a warning, not a failed step', async () => {
  const db = await freshDb();
  const { log, lines } = capturedLogger();
  const memory = createMemory({ db: await downDb(db), config, log, tenant: 't1', llmIdentity: 'direct:abc' });
  const opened = memory.openStep(scope(), 'reviewer');
  await memory.closeStep(scope(), { agent: 'reviewer', autonomy: 'assisted', succeeded: false, baseline: true, turnsLive: 1 }, opened);
  assert.deepEqual(
    lines.map((l) => [l.level, l.step, l.msg, typeof l.err]),
    [[40, 'review', 'memory could not note the step’s scratchpad', 'object']],
  );
});

test('the level the gate reads, and a run’s end counting each step for its agent: an unreadable record is a retryable ledger error', async () => {
  const db = await freshDb();
  const { log, lines } = capturedLogger();
  const memory = memoryOn(db, log);
  assert.equal(await memory.levelOf('reviewer', 'sandbox'), 'assisted');
  const step = (id: string, status: 'succeeded' | 'failed') => ({
    id,
    stepKey: 'review',
    agent: 'reviewer',
    status,
    errorCode: status === 'failed' ? ('invalid_output' as const) : ('none' as const),
    llmCalls: 1,
    inputTokens: 10,
    outputTokens: 2,
    findings: 0,
    refusedForLevel: false,
  });
  const run: FinishedRun = {
    runId: 'run-1',
    repo: 'shop',
    template: 'code-review',
    environment: 'sandbox',
    status: 'failed',
    errorCode: 'invalid_output',
    steps: [step('s1', 'failed'), step('s2', 'failed')],
  };
  await runStep(db, scope(), 'reviewer', false);
  await memory.finishRun(run);
  assert.equal(await memory.levelOf('reviewer', 'sandbox'), 'observe', 'two failures in a row demote');
  assert.deepEqual(await readWorking(db, 'run-1'), [], 'the run was rolled up');
  assert.equal((await db.query('SELECT 1 FROM memory.episodes')).rowCount, 1);
  assert.deepEqual(
    lines.map((l) => [l.msg, l.agent, l.environment, l.from, l.to, l.reason]),
    [['autonomy level changed', 'reviewer', 'sandbox', 'assisted', 'observe', 'demoted_failures']],
  );
  await memory.finishRun(run);
  assert.equal(lines.length, 1, 'a run finished twice counts once');
  assert.equal((await memory.autonomyLevels()).length, 1);

  const down = memoryOn(await downDb(db));
  await assert.rejects(down.levelOf('reviewer', 'sandbox'), LedgerError);
  await assert.rejects(down.finishRun({ ...run, runId: 'run-2' }), LedgerError);
});

test('a person’s override drops the agent’s remembered turns in that environment only, and in one repository when it names one', async () => {
  const db = await freshDb();
  const places = [scope(), scope({ repo: 'other' }), scope({ environment: 'preview' })];
  for (const s of places) for (const agent of ['reviewer', 'writer']) await runStep(db, s, agent, true, { task: agent });
  const memory = memoryOn(db);

  assert.deepEqual(await memory.recordOverride({ agent: 'reviewer', environment: 'sandbox', ref: 'approval-1', repo: 'shop' }), {
    agent: 'reviewer',
    environment: 'sandbox',
    from: 'assisted',
    to: 'observe',
    reason: 'demoted_overrides',
  });
  const left = async () =>
    (await db.query('SELECT agent, repo, environment FROM memory.semantic_turns ORDER BY agent, environment, repo')).rows.map(
      (r) => `${r.agent}@${r.repo}/${r.environment}`,
    );
  assert.deepEqual(await left(), [
    'reviewer@shop/preview',
    'reviewer@other/sandbox',
    'writer@shop/preview',
    'writer@other/sandbox',
    'writer@shop/sandbox',
  ]);
  await memory.recordOverride({ agent: 'reviewer', environment: 'sandbox' });
  assert.deepEqual(await left(), ['reviewer@shop/preview', 'writer@shop/preview', 'writer@other/sandbox', 'writer@shop/sandbox']);
  assert.equal(
    await found(db, scope({ environment: 'preview' }), 'reviewer', 'reviewer'),
    'reviewer in shop/preview',
    'the other environment still reuses',
  );
});

test('an operator’s reset and forgetting go through the memory to the same tables', async () => {
  const db = await freshDb();
  const memory = memoryOn(db);
  await memory.recordOverride({ agent: 'reviewer', environment: 'sandbox', repo: 'shop' });
  assert.equal(await memory.resetStanding('reviewer', 'sandbox'), 'assisted');
  assert.equal(await memory.levelOf('reviewer', 'sandbox'), 'assisted');
  await runStep(db, scope(), 'reviewer', true);
  assert.equal((await memory.forget({ repo: 'shop' })).semantic_turns, 1);
  assert.equal(memory.config, config);
});

test('a run’s end deletes the turns of its repository and environment not used for turnsMaxAgeDays, and no others', async () => {
  const db = await freshDb();
  for (const s of [scope(), scope({ repo: 'other' })])
    for (const agent of ['reviewer', 'writer']) await runStep(db, s, agent, true, { task: agent });
  const age = (agent: string, days: number) =>
    db.query(`UPDATE memory.semantic_turns SET used_at = now() - make_interval(days => $2) WHERE agent = $1`, [agent, days]);
  await age('reviewer', config.turnsMaxAgeDays + 1);
  await age('writer', config.turnsMaxAgeDays - 1);
  await memoryOn(db).finishRun({
    runId: 'run-1',
    repo: 'shop',
    template: 'code-review',
    environment: 'sandbox',
    status: 'succeeded',
    errorCode: 'none',
    steps: [],
  });
  const { rows } = await db.query('SELECT agent, repo FROM memory.semantic_turns ORDER BY repo, agent');
  assert.deepEqual(
    rows.map((r) => `${r.agent}@${r.repo}`),
    ['reviewer@other', 'writer@other', 'writer@shop'],
  );
});
