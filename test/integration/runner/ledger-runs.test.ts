import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunLedger, type StepFinish } from '../../../customer-plane/runner/ledger/runs.ts';
import { dispatchFor, ledgerDatabase, openedRun, TWO_STEPS } from '../../support/ledger.ts';

/**
 * The run ledger's runs and steps against a real Postgres: what a resumed run reads back (same run,
 * same step ids, deliveries counted), how steps finish and are replayed in order, and that a run ends
 * once, with its code.
 */

const finish = (o: Partial<StepFinish> = {}): StepFinish => ({
  status: 'succeeded',
  errorCode: 'none',
  durationMs: 120,
  llmCalls: 2,
  inputTokens: 3000000000,
  outputTokens: 40,
  toolCalls: 5,
  refusals: 1,
  finishedEventId: 'ev-finished',
  gateEventId: 'ev-gate',
  ...o,
});

test('a run opened again by a later delivery is the same run with the same steps, its deliveries counted', async (t) => {
  const { db } = await ledgerDatabase(t);
  const ledger = createRunLedger(db);
  const d = dispatchFor({ environment: 'production' });
  const first = await ledger.openRun(d, { requestId: 'req-1', steps: TWO_STEPS });
  assert.deepEqual(
    { ...first.run, createdAt: 0, startedEventId: '' },
    {
      id: d.workflowId,
      template: 'code-review',
      repo: 'sample',
      environment: 'production',
      status: 'running',
      errorCode: 'none',
      baselineTree: null,
      attempts: 1,
      startedEventId: '',
      finishedEventId: null,
      createdAt: 0,
      finishedAt: null,
    },
  );
  assert.deepEqual(
    first.steps.map((s) => [s.stepKey, s.idx, s.agent, s.needs, s.status, s.errorCode, s.attempt, s.completionSeq, s.output]),
    [
      ['index', 0, 'indexer', [], 'pending', 'none', 0, null, null],
      ['review', 1, 'reviewer', ['index'], 'pending', 'none', 0, null, null],
    ],
  );
  const request = await db.query('SELECT request_id, requested_at, created_at FROM runtime.runs WHERE id = $1', [d.workflowId]);
  assert.deepEqual([request.rows[0].request_id, request.rows[0].requested_at.getTime()], ['req-1', d.requestedAt]);
  assert.equal(first.run.createdAt, request.rows[0].created_at.getTime(), 'the run’s start, in epoch ms as its events carry it');

  await ledger.setBaseline(d.workflowId, 'tree-base');
  await ledger.setBaseline(d.workflowId, 'tree-other');
  const again = await ledger.openRun({ ...d, repo: 'changed', environment: 'sandbox' }, { steps: [...TWO_STEPS].reverse() });
  assert.equal(again.run.attempts, 2, 'the second delivery is counted');
  assert.deepEqual(
    [again.run.repo, again.run.environment, again.run.startedEventId, again.run.baselineTree],
    ['sample', 'production', first.run.startedEventId, 'tree-base'],
    'the run is the one first opened, with its first baseline',
  );
  assert.deepEqual(
    again.steps.map((s) => [s.id, s.stepKey, s.idx]),
    first.steps.map((s) => [s.id, s.stepKey, s.idx]),
    'a resumed run reports the same step ids',
  );
  assert.deepEqual(await ledger.getRun(d.workflowId), again);
  assert.equal(await ledger.getRun('01JUNKNOWNRUN0000000000000'), undefined);

  const bare = dispatchFor();
  const opened = await ledger.openRun(bare, {});
  assert.deepEqual([opened.run.environment, opened.steps], ['sandbox', []], 'a template not in this release opens a run without steps');
});

test('a step counts its attempts, finishes once with its counts and output, and the run’s completed diffs replay in the order steps finished', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db, [...TWO_STEPS, { key: 'write', agent: 'fixer', needs: [] }]);
  const [index, review, write] = steps;
  assert.equal(await ledger.startStep(review.id, 'tree-r0'), 1);
  assert.equal(await ledger.startStep(review.id, 'tree-r1'), 2, 'a restarted step is its next attempt');
  const running = await ledger.getStep(review.id);
  assert.deepEqual([running.status, running.attempt, running.startedAt !== null], ['running', 2, true]);
  const treeBefore = await db.query('SELECT tree_before FROM runtime.steps WHERE id = $1', [review.id]);
  assert.equal(treeBefore.rows[0].tree_before, 'tree-r1');

  await ledger.startStep(write.id, null);
  await ledger.finishStep(runId, write.id, finish({ appliedDiff: 'diff-write\u0000', treeAfter: 'tree-w' }));
  await ledger.finishStep(
    runId,
    review.id,
    finish({
      output: {
        summary: 'two findings',
        findings: [{ rule: 'r1', severity: 'high', file: 'a\u0000.ts', line: 3, message: 'bad\u0000' }],
        patches: [{ title: 'fix\u0000', diff: 'proposed-diff\u0000' }],
      } as never,
      appliedDiff: '',
      treeAfter: 'tree-r',
      gateEventId: '',
    }),
  );
  await ledger.startStep(index.id, null);
  await ledger.finishStep(
    runId,
    index.id,
    finish({
      status: 'failed',
      errorCode: 'agent_error' as never,
      appliedDiff: 'undone',
      output: { findings: [{ rule: 'x', severity: 'low', file: 'f', line: 1, message: 'm' }] } as never,
    }),
  );

  const done = await ledger.getStep(review.id);
  assert.deepEqual(
    [
      done.status,
      done.errorCode,
      done.durationMs,
      done.treeAfter,
      done.completionSeq,
      done.llmCalls,
      done.inputTokens,
      done.outputTokens,
      done.toolCalls,
      done.refusals,
      done.finishedEventId,
      done.gateEventId,
      done.finishedAt !== null,
    ],
    ['succeeded', 'none', 120, 'tree-r', 2, 2, 3000000000, 40, 5, 1, 'ev-finished', null, true],
  );
  assert.equal((await ledger.getStep(write.id)).gateEventId, 'ev-gate');
  assert.deepEqual(
    [(await ledger.getStep(index.id)).status, (await ledger.getStep(index.id)).errorCode, (await ledger.getStep(index.id)).completionSeq],
    ['failed', 'agent_error', 3],
  );

  assert.deepEqual(
    await ledger.completedDiffs(runId),
    [
      { stepId: write.id, diff: 'diff-write\uFFFD', treeAfter: 'tree-w' },
      { stepId: review.id, diff: '', treeAfter: 'tree-r' },
    ],
    'succeeded steps only, in the order they finished, a step that changed nothing with an empty diff',
  );
  const findings = await db.query('SELECT step_id, rule, severity, file, line, message FROM runtime.findings');
  assert.deepEqual(
    findings.rows,
    [{ step_id: review.id, rule: 'r1', severity: 'high', file: 'a\uFFFD.ts', line: 3, message: 'bad\uFFFD' }],
    'a failed step records no findings',
  );
  const patches = await db.query('SELECT step_id, kind, title, diff FROM runtime.patches ORDER BY id');
  assert.deepEqual(patches.rows, [
    { step_id: write.id, kind: 'applied', title: 'changes made in the workspace', diff: 'diff-write\uFFFD' },
    { step_id: review.id, kind: 'proposed', title: 'fix\uFFFD', diff: 'proposed-diff\uFFFD' },
  ]);
  assert.deepEqual([await ledger.patchCount(write.id), await ledger.patchCount(review.id), await ledger.patchCount(index.id)], [1, 1, 0]);
  assert.deepEqual((await ledger.getStep(review.id)).output, {
    summary: 'two findings',
    findings: [{ rule: 'r1', severity: 'high', file: 'a\uFFFD.ts', line: 3, message: 'bad\uFFFD' }],
    patches: [{ title: 'fix\uFFFD', diff: 'proposed-diff\uFFFD' }],
  });
});

test('a run whose deliveries are exhausted: running steps fail with the code, pending ones are skipped, finished ones and other runs keep theirs; the run ends once', async (t) => {
  const { db } = await ledgerDatabase(t);
  const steps3 = [...TWO_STEPS, { key: 'write', agent: 'fixer', needs: [] }] as const;
  const { ledger, runId, steps } = await openedRun(db, steps3);
  const other = await openedRun(db, steps3);
  const [index, review, write] = steps;
  await ledger.startStep(write.id, null);
  await ledger.finishStep(runId, write.id, finish());
  await ledger.startStep(index.id, null);
  await ledger.startStep(other.steps[0].id, null);

  await ledger.abandonSteps(runId, 'delivery_exhausted');
  const after = await ledger.getRun(runId);
  assert.deepEqual(
    after!.steps.map((s) => [s.stepKey, s.status, s.errorCode, s.finishedAt !== null]),
    [
      ['index', 'failed', 'delivery_exhausted', true],
      ['review', 'skipped', 'dependency_failed', true],
      ['write', 'succeeded', 'none', true],
    ],
  );
  assert.deepEqual(
    (await ledger.getRun(other.runId))!.steps.map((s) => s.status),
    ['running', 'pending', 'pending'],
    'another run is untouched',
  );

  const ended = await ledger.finishRun(runId, 'failed', 'delivery_exhausted');
  assert.equal(ended.finished, true);
  const run = (await ledger.getRun(runId))!.run;
  assert.deepEqual(
    [run.status, run.errorCode, run.finishedEventId, run.finishedAt !== null],
    ['failed', 'delivery_exhausted', ended.eventId, true],
  );
  const late = await ledger.finishRun(runId, 'succeeded', 'none');
  assert.deepEqual(late, { finished: false, eventId: ended.eventId }, 'a finished run keeps its outcome and its event');
  assert.deepEqual(
    [(await ledger.getRun(runId))!.run.status, (await ledger.getRun(runId))!.run.errorCode],
    ['failed', 'delivery_exhausted'],
  );
  const unknown = await ledger.finishRun('01JUNKNOWNRUN0000000000000', 'failed', 'delivery_exhausted');
  assert.equal(unknown.finished, false);
  assert.match(unknown.eventId, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'an unknown run still gets an event id to report');

  // skipStep: only a step that has not finished is skipped.
  await ledger.skipStep(review.id, 'ev-skip');
  await ledger.skipStep(other.steps[1].id, 'ev-skip');
  const skipped = await ledger.getStep(other.steps[1].id);
  assert.deepEqual(
    [skipped.status, skipped.errorCode, skipped.durationMs, skipped.finishedEventId],
    ['skipped', 'dependency_failed', 0, 'ev-skip'],
  );
  await ledger.skipStep(write.id, 'ev-late');
  assert.deepEqual(
    [(await ledger.getStep(write.id)).status, (await ledger.getStep(write.id)).finishedEventId],
    ['succeeded', 'ev-finished'],
  );
  await ledger.skipStep(other.steps[0].id, 'ev-run');
  assert.equal((await ledger.getStep(other.steps[0].id)).status, 'skipped', 'a running step is skipped too');
});

test('work exhausted before any runner opened it still leaves a run to end: ensureRun creates it once and never overwrites one', async (t) => {
  const { db } = await ledgerDatabase(t);
  const ledger = createRunLedger(db);
  const d = dispatchFor({ environment: 'preview' });
  await ledger.ensureRun(d);
  const created = (await ledger.getRun(d.workflowId))!;
  assert.deepEqual([created.run.status, created.run.environment, created.run.attempts, created.steps], ['running', 'preview', 0, []]);
  const requested = await db.query('SELECT requested_at, tenant_id FROM runtime.runs WHERE id = $1', [d.workflowId]);
  assert.deepEqual([requested.rows[0].requested_at.getTime(), requested.rows[0].tenant_id], [d.requestedAt, d.tenant]);
  await ledger.finishRun(d.workflowId, 'failed', 'delivery_exhausted');
  await ledger.ensureRun({ ...d, repo: 'other' });
  const kept = (await ledger.getRun(d.workflowId))!.run;
  assert.deepEqual([kept.status, kept.repo], ['failed', 'sample']);
  const sandbox = dispatchFor();
  await ledger.ensureRun(sandbox);
  assert.equal((await ledger.getRun(sandbox.workflowId))!.run.environment, 'sandbox');
});

test('a step’s gate tally counts the decisions of the attempt asked for, grouped', async (t) => {
  const { db } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  const ins = (attempt: number, tool: string, decision: string, reason: string, stepId = steps[0].id) =>
    db.query(
      `INSERT INTO runtime.gate_decisions (run_id, step_id, attempt, seq, agent, tool, decision, reason, approval) VALUES ($1, $2, $3, 0, 'indexer', $4, $5, $6, 'none')`,
      [runId, stepId, attempt, tool, decision, reason],
    );
  await ins(1, 'write_file', 'deny', 'old');
  await ins(2, 'write_file', 'deny', 'path_outside_workspace');
  await ins(2, 'write_file', 'deny', 'path_outside_workspace');
  await ins(2, 'read_file', 'allow', 'allowed');
  await ins(2, 'write_file', 'allow', 'allowed');
  await ins(2, 'read_file', 'allow', 'allowed', steps[1].id);
  assert.deepEqual(await ledger.gateTally(steps[0].id, 2), [
    { tool: 'read_file', decision: 'allow', reason: 'allowed', approval: 'none', count: 1 },
    { tool: 'write_file', decision: 'allow', reason: 'allowed', approval: 'none', count: 1 },
    { tool: 'write_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', count: 2 },
  ]);
});

test('two steps of a run finishing at once take distinct places in the order a resumed run replays their diffs', async (t) => {
  const { db, connect } = await ledgerDatabase(t);
  const { ledger, runId, steps } = await openedRun(db);
  const [index, review] = steps;
  await ledger.startStep(index.id, null);
  await ledger.startStep(review.id, null);
  // Another runner is finishing `index` as the ledger finishes `review`: it has taken completion 1 and not yet committed.
  const otherRunner = await connect().connect();
  try {
    await otherRunner.query('BEGIN');
    await otherRunner.query('SELECT 1 FROM runtime.runs WHERE id = $1 FOR UPDATE', [runId]);
    await otherRunner.query(
      `UPDATE runtime.steps SET status = 'succeeded',
         completion_seq = (SELECT coalesce(max(completion_seq), 0) + 1 FROM runtime.steps WHERE run_id = $1) WHERE id = $2`,
      [runId, index.id],
    );
    const finishing = ledger.finishStep(runId, review.id, finish());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await otherRunner.query('COMMIT');
    await finishing;
  } finally {
    otherRunner.release();
  }
  assert.deepEqual(
    [(await ledger.getStep(index.id)).completionSeq, (await ledger.getStep(review.id)).completionSeq],
    [1, 2],
    'the later finish comes after the earlier one, never beside it',
  );
});
