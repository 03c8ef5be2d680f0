import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunRecords } from '../../../customer-plane/runner/ledger/records.ts';
import { ledgerDatabase, openedRun, TWO_STEPS } from '../../support/ledger.ts';

/** The run record a person reads (CLI and console), straight from the ledger: counts and lists exact. */

test('the run list and a run’s record show its steps, findings by severity, patches and the refusals of each step’s last attempt, with exact counts', async (t) => {
  const { db } = await ledgerDatabase(t);
  const older = await openedRun(db);
  // A third step never reached: counted as a step, not as one that succeeded.
  const { ledger, runId, steps } = await openedRun(db, [...TWO_STEPS, { key: 'write', agent: 'fixer', needs: [] }]);
  const [index, review, write] = steps;
  const base = {
    errorCode: 'none',
    durationMs: 9,
    llmCalls: 1,
    inputTokens: 10,
    outputTokens: 2,
    toolCalls: 3,
    refusals: 2,
    finishedEventId: 'e',
    gateEventId: 'g',
  } as const;
  await ledger.startStep(index.id, null);
  await ledger.finishStep(runId, index.id, {
    ...base,
    status: 'succeeded',
    appliedDiff: 'applied',
    output: {
      summary: 'indexed',
      findings: [
        { rule: 'low-1', severity: 'low', file: 'b.ts', line: 1, message: 'l' },
        { rule: 'crit-1', severity: 'critical', file: 'z.ts', line: 9, message: 'c' },
        { rule: 'high-1', severity: 'high', file: 'a.ts', line: 2, message: 'h' },
      ],
      patches: [{ title: 'p', diff: 'pd' }],
    } as never,
  });
  await ledger.startStep(review.id, null);
  await ledger.startStep(review.id, null);
  await ledger.finishStep(runId, review.id, { ...base, status: 'failed', errorCode: 'agent_error' as never });
  const decide = (stepId: string, attempt: number, tool: string, decision: string, reason: string) =>
    db.query(
      `INSERT INTO runtime.gate_decisions (run_id, step_id, attempt, seq, agent, tool, decision, reason, approval) VALUES ($1, $2, $3, 0, 'a', $4, $5, $6, 'none')`,
      [runId, stepId, attempt, tool, decision, reason],
    );
  await decide(review.id, 1, 'write_file', 'deny', 'from-the-first-attempt');
  await decide(review.id, 2, 'write_file', 'deny', 'path_outside_workspace');
  await decide(review.id, 2, 'write_file', 'deny', 'path_outside_workspace');
  await decide(review.id, 2, 'git_push', 'ask', 'approval_required');
  await decide(review.id, 2, 'read_file', 'allow', 'allowed');
  await ledger.finishRun(runId, 'failed', 'agent_error' as never);
  await db.query("UPDATE runtime.runs SET created_at = now() - interval '1 hour' WHERE id = $1", [older.runId]);

  const records = createRunRecords(db);
  const list = await records.list();
  assert.deepEqual(
    list.map((r) => [r.id, r.template, r.repo, r.status, r.errorCode, r.steps, r.stepsSucceeded, r.findings, r.finishedAt !== null]),
    [
      [runId, 'code-review', 'sample', 'failed', 'agent_error', 3, 1, 3, true],
      [older.runId, 'code-review', 'sample', 'running', 'none', 2, 0, 0, false],
    ],
    'newest first',
  );
  assert.equal(typeof list[0].createdAt, 'string');
  assert.deepEqual(
    (await records.list(1)).map((r) => r.id),
    [runId],
    'the limit is honoured',
  );

  const shown = await records.show(runId);
  assert.ok(shown);
  assert.deepEqual(
    [shown.environment, shown.attempts, shown.steps, shown.stepsSucceeded, shown.findings, shown.status, shown.errorCode],
    ['sandbox', 1, 3, 1, 3, 'failed', 'agent_error'],
  );
  assert.equal(shown.createdAt, list[0].createdAt);
  assert.match(shown.finishedAt!, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(
    shown.stepList.map((s) => [
      s.id,
      s.key,
      s.idx,
      s.agent,
      s.status,
      s.errorCode,
      s.attempt,
      s.durationMs,
      s.llmCalls,
      s.inputTokens,
      s.outputTokens,
      s.toolCalls,
      s.refusals,
      s.summary,
    ]),
    [
      [index.id, 'index', 0, 'indexer', 'succeeded', 'none', 1, 9, 1, 10, 2, 3, 2, 'indexed'],
      [review.id, 'review', 1, 'reviewer', 'failed', 'agent_error', 2, 9, 1, 10, 2, 3, 2, null],
      [write.id, 'write', 2, 'fixer', 'pending', 'none', 0, null, 0, 0, 0, 0, 0, null],
    ],
  );
  assert.deepEqual(
    shown.findingList.map((f) => [f.stepKey, f.rule, f.severity, f.file, f.line, f.message]),
    [
      ['index', 'crit-1', 'critical', 'z.ts', 9, 'c'],
      ['index', 'high-1', 'high', 'a.ts', 2, 'h'],
      ['index', 'low-1', 'low', 'b.ts', 1, 'l'],
    ],
    'most severe first',
  );
  assert.deepEqual(shown.patchList, [
    { stepKey: 'index', kind: 'applied', title: 'changes made in the workspace', diff: 'applied' },
    { stepKey: 'index', kind: 'proposed', title: 'p', diff: 'pd' },
  ]);
  assert.deepEqual(
    shown.refusalList,
    [
      { stepKey: 'review', tool: 'write_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', count: 2 },
      { stepKey: 'review', tool: 'git_push', decision: 'ask', reason: 'approval_required', approval: 'none', count: 1 },
    ],
    'refusals of the last attempt only, most frequent first; allowed calls are not refusals',
  );
  assert.equal(await records.show('01JUNKNOWNRUN0000000000000'), undefined);
  const fresh = await records.show(older.runId);
  assert.deepEqual([fresh!.finishedAt, fresh!.stepList.map((s) => s.durationMs)], [null, [null, null]]);
});

test('the run list shows the 20 newest runs unless asked for more', async (t) => {
  const { db } = await ledgerDatabase(t);
  for (let i = 0; i < 21; i++) await openedRun(db, []);
  assert.equal((await createRunRecords(db).list()).length, 20);
  assert.equal((await createRunRecords(db).list(25)).length, 21);
});
