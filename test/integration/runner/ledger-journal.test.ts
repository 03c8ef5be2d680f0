import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createStepJournal, inputHash, LedgerError } from '../../../customer-plane/runner/ledger/journal.ts';
import { createMasker } from '../../../customer-plane/secrets/masker.ts';
import { ledgerDatabase, openedRun, rowsOf } from '../../support/ledger.ts';

/**
 * The step journal against a real Postgres: what one attempt of a step writes, and what the next attempt
 * of the same step reads back to replay instead of redo (SECURITY.md "Durable runs": no effect runs twice).
 */

const SECRET = 'hunter2-sekret-value';

test('a resumed attempt reads back exactly what the previous attempt of its step recorded: effects, model turns and gate decisions, by sequence number', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  const [step, other] = steps;
  const ids = (stepId: string, attempt: number) => ({ runId, stepId, attempt });

  // Attempt 1 of the step: one committed effect, one that started and never committed, two turns, two decisions.
  assert.equal(await ledger.startStep(step.id, 'tree-0'), 1);
  const first = createStepJournal(db, ids(step.id, 1));
  assert.deepEqual(
    await first.previous(),
    { effects: new Map(), turns: new Map(), decisions: new Map() },
    'a first attempt has nothing to replay',
  );
  const committed = await first.planEffect({ seq: 2, tool: 'write_file', inputHash: 'h-write', external: false, treeBefore: 'tree-1' });
  await first.startEffect(committed);
  await first.commitEffect(committed, { result: { ok: true, output: 'wrote a.ts' }, diff: 'diff-a', treeAfter: 'tree-2' });
  const interrupted = await first.planEffect({ seq: 1, tool: 'git_push', inputHash: 'h-push', external: true, treeBefore: 'tree-0' });
  await first.startEffect(interrupted);
  await first.recordTurn({ seq: 1, message: { role: 'assistant', content: 'one' }, inputTokens: 11, outputTokens: 3, replayed: false });
  await first.recordTurn({ seq: 0, message: { role: 'assistant', content: 'zero' }, inputTokens: 7, outputTokens: 2, replayed: false });
  const decision = { runId, stepId: step.id, agent: 'indexer', tool: 'write_file', approval: 'none' } as const;
  await first.recordDecision({ ...decision, seq: 2, decision: 'allow', reason: 'none' as never });
  await first.recordDecision({
    ...decision,
    seq: 1,
    tool: 'git',
    decision: 'ask',
    reason: 'approval_required' as never,
    approval: 'approved',
  });

  // Noise the resumed attempt must not read: the other step's attempt 1, and this step's attempt 2 itself.
  const otherJournal = createStepJournal(db, ids(other.id, 1));
  await otherJournal.planEffect({ seq: 2, tool: 'delete_file', inputHash: 'h-other', external: false, treeBefore: 'x' });
  await otherJournal.recordTurn({ seq: 0, message: 'other', inputTokens: 1, outputTokens: 1, replayed: false });
  await otherJournal.recordDecision({ ...decision, stepId: other.id, seq: 0, decision: 'deny', reason: 'path_outside_workspace' as never });

  assert.equal(await ledger.startStep(step.id, 'tree-0'), 2);
  const second = createStepJournal(db, ids(step.id, 2));
  await second.recordTurn({ seq: 5, message: 'attempt two', inputTokens: 1, outputTokens: 1, replayed: false });
  const prior = await second.previous();

  assert.deepEqual([...prior.effects.keys()], [1, 2], 'effects in sequence order');
  assert.deepEqual(prior.effects.get(2), {
    id: committed,
    seq: 2,
    tool: 'write_file',
    inputHash: 'h-write',
    external: false,
    status: 'committed',
    result: { ok: true, output: 'wrote a.ts' },
    diff: 'diff-a',
    treeBefore: 'tree-1',
    treeAfter: 'tree-2',
  });
  assert.deepEqual(prior.effects.get(1), {
    id: interrupted,
    seq: 1,
    tool: 'git_push',
    inputHash: 'h-push',
    external: true,
    status: 'started',
    result: null,
    diff: null,
    treeBefore: 'tree-0',
    treeAfter: null,
  });
  assert.deepEqual(
    [...prior.turns.entries()],
    [
      [0, { seq: 0, message: { role: 'assistant', content: 'zero' }, inputTokens: 7, outputTokens: 2 }],
      [1, { seq: 1, message: { role: 'assistant', content: 'one' }, inputTokens: 11, outputTokens: 3 }],
    ],
  );
  assert.deepEqual(
    [...prior.decisions.entries()],
    [
      [2, { ...decision, seq: 2, decision: 'allow', reason: 'none' }],
      [1, { ...decision, seq: 1, tool: 'git', decision: 'ask', reason: 'approval_required', approval: 'approved' }],
    ],
    'decisions in the order they were made',
  );
});

test('a committed effect carried into the next attempt is recorded committed and replayed, and abandoning touches only effects that never committed', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  const step = steps[0];
  await ledger.startStep(step.id, null);
  const first = createStepJournal(db, { runId, stepId: step.id, attempt: 1 });
  const done = await first.planEffect({ seq: 0, tool: 'write_file', inputHash: 'h0', external: false, treeBefore: 't0' });
  await first.startEffect(done);
  await first.commitEffect(done, { result: { ok: true, output: 'ok', truncated: true }, diff: 'd0', treeAfter: 't1' });
  const planned = await first.planEffect({ seq: 1, tool: 'run_command', inputHash: 'h1', external: false, treeBefore: 't1' });
  const started = await first.planEffect({ seq: 2, tool: 'run_command', inputHash: 'h2', external: false, treeBefore: 't1' });
  await first.startEffect(started);

  await ledger.startStep(step.id, null);
  const second = createStepJournal(db, { runId, stepId: step.id, attempt: 2 });
  const prior = await second.previous();
  await second.replayEffect(prior.effects.get(0)!);
  for (const id of [done, planned, started]) await second.abandonEffect(id);

  const rows = await rowsOf(db, 'effects', step.id);
  const view = rows.map((r) => [
    r.attempt,
    r.seq,
    r.status,
    r.replayed,
    r.result,
    r.diff,
    r.tree_before,
    r.tree_after,
    r.tool,
    r.input_hash,
    r.external,
  ]);
  assert.deepEqual(view, [
    [1, 0, 'committed', false, { ok: true, output: 'ok', truncated: true }, 'd0', 't0', 't1', 'write_file', 'h0', false],
    [1, 1, 'abandoned', false, null, null, 't1', null, 'run_command', 'h1', false],
    [1, 2, 'abandoned', false, null, null, 't1', null, 'run_command', 'h2', false],
    [2, 0, 'committed', true, { ok: true, output: 'ok', truncated: true }, 'd0', 't0', 't1', 'write_file', 'h0', false],
  ]);
  const times = await db.query(
    'SELECT attempt, seq, started_at IS NOT NULL AS s, committed_at IS NOT NULL AS c FROM runtime.effects ORDER BY attempt, seq',
  );
  assert.deepEqual(
    times.rows.map((r) => [r.attempt, r.seq, r.s, r.c]),
    [
      [1, 0, true, true],
      [1, 1, false, false],
      [1, 2, true, false],
      [2, 0, true, true],
    ],
    'when each effect started and committed is recorded',
  );
});

test('tool calls are recorded once per sequence number with the gate’s view and the result’s outcome, and the run’s secrets are masked in every record', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  const step = steps[0];
  await ledger.startStep(step.id, null);
  const masker = createMasker();
  masker.add('TOKEN', SECRET);
  const j = createStepJournal(db, { runId, stepId: step.id, attempt: 1 }, masker);
  const call = { tool: 'run_command', decision: 'allow', reason: 'none', approval: 'none', durationMs: 42, replayed: false } as const;
  await j.recordToolCall({
    ...call,
    seq: 0,
    input: { argv: ['curl', SECRET] },
    result: { ok: true, output: 'twelve chars', truncated: true },
  });
  await j.recordToolCall({ ...call, seq: 1, input: undefined, result: { ok: true, output: 'abc' }, replayed: true, tool: 'x'.repeat(200) });
  await j.recordToolCall({
    ...call,
    seq: 2,
    input: { path: 'a' },
    decision: 'deny',
    reason: 'path_outside_workspace',
    approval: 'rejected',
    result: { ok: false, decision: 'deny', reason: 'path_outside_workspace', message: 'no' },
  });
  await j.recordToolCall({ ...call, seq: 0, input: { again: true }, result: { ok: false, decision: 'error', reason: 'x', message: 'y' } });

  const calls = (await rowsOf(db, 'tool_calls', step.id)).map((r) => [
    r.run_id === runId,
    r.seq,
    r.tool,
    r.input,
    r.decision,
    r.reason,
    r.approval,
    r.ok,
    r.result_reason,
    r.output_chars,
    r.truncated,
    r.replayed,
    r.duration_ms,
  ]);
  assert.deepEqual(calls, [
    [true, 0, 'run_command', { argv: ['curl', '[masked:TOKEN]'] }, 'allow', 'none', 'none', true, null, 12, true, false, 42],
    [true, 1, 'x'.repeat(128), null, 'allow', 'none', 'none', true, null, 3, false, true, 42],
    [
      true,
      2,
      'run_command',
      { path: 'a' },
      'deny',
      'path_outside_workspace',
      'rejected',
      false,
      'path_outside_workspace',
      0,
      false,
      false,
      42,
    ],
  ]);

  const effect = await j.planEffect({ seq: 3, tool: 'write_file', inputHash: 'h', external: false, treeBefore: 't' });
  await j.commitEffect(effect, { result: { ok: true, output: `wrote ${SECRET}` }, diff: `+token=${SECRET}`, treeAfter: 't2' });
  await j.recordTurn({ seq: 0, message: { content: `the token is ${SECRET}` }, inputTokens: 1, outputTokens: 2, replayed: true });
  const [e] = await rowsOf(db, 'effects', step.id);
  assert.deepEqual([e.result, e.diff], [{ ok: true, output: 'wrote [masked:TOKEN]' }, '+token=[masked:TOKEN]']);
  const [turn] = await rowsOf(db, 'model_turns', step.id);
  assert.deepEqual(
    [turn.message, turn.input_tokens, turn.output_tokens, turn.replayed],
    [{ content: 'the token is [masked:TOKEN]' }, 1, 2, true],
  );
  const stored = JSON.stringify((await db.query('SELECT * FROM runtime.tool_calls, runtime.effects, runtime.model_turns')).rows);
  assert.ok(!stored.includes(SECRET), 'no record holds the secret');

  // Without a masker (a run with no secrets) values are stored as given.
  const plain = createStepJournal(db, { runId, stepId: steps[1].id, attempt: 1 });
  await plain.recordTurn({ seq: 0, message: { content: SECRET }, inputTokens: 0, outputTokens: 0, replayed: false });
  assert.deepEqual(
    (await rowsOf(db, 'model_turns', steps[1].id)).map((r) => r.message),
    [{ content: SECRET }],
  );
});

test('a ledger write that fails makes the step retryable: the error is LedgerError, and the journal stays broken for the rest of the attempt', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  await ledger.startStep(steps[0].id, null);
  const j = createStepJournal(db, { runId, stepId: steps[0].id, attempt: 1 });
  j.throwIfBroken();
  await j.recordTurn({ seq: 0, message: 'a', inputTokens: 0, outputTokens: 0, replayed: false });
  j.throwIfBroken();

  // The same turn twice violates the table's key: the write fails.
  const failure = await j.recordTurn({ seq: 0, message: 'a', inputTokens: 0, outputTokens: 0, replayed: false }).then(
    () => assert.fail('a duplicate turn is refused by the ledger'),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof LedgerError);
  assert.equal(failure.code, 'ledger_unavailable');
  assert.match(failure.message, /run ledger is unavailable/, 'the worker’s log says the ledger, not the run, is why it is retried');
  assert.equal(failure.retryable, true, 'the run is retried, never failed for its ledger');
  assert.match(String((failure.cause as Error).message), /duplicate key/);
  assert.throws(
    () => j.throwIfBroken(),
    (err) => err === failure,
    'an agent that swallowed the failure cannot finish the step',
  );
  // A later failure of another kind is still reported as the first one.
  await assert.rejects(j.startEffect(Number.NaN), (err) => err === failure);
  assert.throws(
    () => j.throwIfBroken(),
    (err) => err === failure,
  );
  assert.deepEqual([j.runId, j.stepId, j.attempt], [runId, steps[0].id, 1], 'the journal says whose it is');
});

test('an effect’s input hash is the SHA-256 of the tool, a NUL and the input’s JSON (a missing input is null), stable across runner processes', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  assert.equal(inputHash('write_file', { path: 'a.ts', content: 'x' }), sha('write_file\0{"path":"a.ts","content":"x"}'));
  assert.equal(inputHash('run_command', undefined), sha('run_command\0null'));
  assert.notEqual(inputHash('write_file', { path: 'a.ts' }), inputHash('write_file', { path: 'b.ts' }));
});
