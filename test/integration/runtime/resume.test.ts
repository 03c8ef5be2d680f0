import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import { LedgerError } from '../../../customer-plane/runner/ledger/journal.ts';
import { newUlid } from '../../../shared/ids.ts';
import { flakyDb } from '../../support/flaky-db.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';

/**
 * Durable runs, in one process: the ledger's database goes away at a chosen point (as it does for a
 * runner whose host dies), the delivery ends without an ack, and a second delivery resumes the run
 * from the ledger. The real-process version (kill -9 of a runner) is test/faults/runner-crash.test.ts.
 */
function writer(
  name: 'patch-applier' | 'fixer',
  body: DeterministicAgent['run'],
  tools: DeterministicAgent['tools'] = ['write_file', 'run_command', 'read_file'],
): DeterministicAgent {
  return {
    name,
    kind: 'deterministic',
    tier: null,
    purpose: 'test writer',
    tools,
    programs: ['ls'],
    budget: { maxSteps: 20, maxTokens: 0 },
    output: agentOutputSchema,
    run: body,
  };
}
const must = (r: ToolResult) => {
  if (!r.ok) throw new Error(`tool refused: ${r.reason}`);
  return r;
};

test('a run cut off mid-step resumes from the ledger: completed steps are not re-run, committed effects are replayed not re-executed, and the result is as if nothing happened', async (t) => {
  const executions: string[] = [];
  let flaky!: ReturnType<typeof flakyDb>;
  const rig = await startRuntimeRig(t, {
    wrapDb: (pool) => (flaky = flakyDb(pool)).db,
    guard: createTestOnlyGuard([{ argv: ['ls'] }]),
    runner: createTestOnlyRunner({ onRun: (argv, cwd) => executions.push(`${argv.join(' ')}@${cwd.split('/').at(-2)}`) }),
    catalog: {
      'patch-applier': writer('patch-applier', async (ctx) => {
        must(await ctx.tools.call('write_file', { path: 'one.txt', content: '1\n' }));
        must(await ctx.tools.call('run_command', { command: 'ls' }));
        return { summary: 'first', findings: [], patches: [] };
      }),
      fixer: writer('fixer', async (ctx) => {
        must(await ctx.tools.call('write_file', { path: 'two.txt', content: '2\n' }));
        must(await ctx.tools.call('run_command', { command: 'ls' }));
        must(await ctx.tools.call('write_file', { path: 'three.txt', content: '3\n' }));
        const seen = must(await ctx.tools.call('read_file', { path: 'one.txt' }));
        return { summary: `saw ${seen.output.trim()}`, findings: [], patches: [] };
      }),
    },
    templates: {
      'diagnose-and-fix': {
        name: 'diagnose-and-fix',
        description: 'two writers',
        steps: [
          { id: 'first', agent: 'patch-applier', needs: [] },
          { id: 'second', agent: 'fixer', needs: ['first'] },
        ],
      },
    },
  });
  const workflowId = newUlid();
  // The database goes away right after the fourth effect commits: the second step's `ls` ran and is committed.
  flaky.failAfter(/SET status = 'committed'/, 4);
  await assert.rejects(rig.run('diagnose-and-fix', { workflowId }), LedgerError);
  assert.equal(executions.length, 2, 'before the cut: one ls per step');
  flaky.heal();

  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
  assert.equal(executions.length, 2, 'no command ran again: the first step was done, the second step’s ls was replayed');
  const rec = (await rig.records.show(workflowId))!;
  assert.deepEqual(
    rec.stepList.map((s) => [s.key, s.status, s.attempt]),
    [
      ['first', 'succeeded', 1],
      ['second', 'succeeded', 2],
    ],
  );
  assert.equal(rec.stepList[1].summary, 'saw 1', 'the resumed step saw the first step’s file: the workspace was rebuilt');
  const effects = await rig.query<{ seq: number; attempt: number; status: string; replayed: boolean }>(
    `SELECT e.seq, e.attempt, e.status, e.replayed FROM runtime.effects e JOIN runtime.steps s ON s.id = e.step_id
     WHERE s.step_key = 'second' AND s.run_id = $1 ORDER BY e.attempt, e.seq`,
    [workflowId],
  );
  assert.deepEqual(
    effects.map((e) => [e.attempt, e.seq, e.status, e.replayed]),
    [
      [1, 1, 'committed', false],
      [1, 2, 'committed', false],
      [2, 1, 'committed', true],
      [2, 2, 'committed', true],
      [2, 3, 'committed', false],
    ],
  );
  const diffs = rec.patchList.map((p) => p.diff).join('\n');
  for (const f of ['one.txt', 'two.txt', 'three.txt']) assert.equal(diffs.split(`+++ b/${f}`).length - 1, 1, `${f} created exactly once`);
  const run = await rig.query<{ attempts: number }>('SELECT attempts FROM runtime.runs WHERE id = $1', [workflowId]);
  assert.equal(run[0].attempts, 2);
  const finished = rig.events.filter((e) => e.event.type === 'step.finished' && e.event.stepId === rec.stepList[0].id);
  assert.equal(new Set(finished.map((e) => e.event.eventId)).size, 1, 'the first step’s event was sent again with the same id');
});

test('an effect that could reach outside the workspace and started without committing is not run again: the step fails with effect_uncommitted', async (t) => {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  let flaky!: ReturnType<typeof flakyDb>;
  const rig = await startRuntimeRig(t, {
    wrapDb: (pool) => (flaky = flakyDb(pool)).db,
    broker: { request: async () => ({ outcome: 'approved', note: 'approved in test' }) },
    catalog: {
      fixer: writer(
        'fixer',
        async (ctx) => {
          must(await ctx.tools.call('fetch_url', { url }));
          return { summary: 'notified', findings: [], patches: [] };
        },
        ['fetch_url'],
      ),
    },
    templates: { 'diagnose-and-fix': { name: 'diagnose-and-fix', description: 'x', steps: [{ id: 'notify', agent: 'fixer', needs: [] }] } },
  });
  const workflowId = newUlid();
  // Cut right after the effect is marked started: the request goes out, its commit never lands.
  flaky.failAfter(/SET status = 'started'/, 1);
  await assert.rejects(rig.run('diagnose-and-fix', { workflowId }), LedgerError);
  assert.equal(hits, 1);
  flaky.heal();
  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['failed', 'effect_uncommitted']);
  assert.equal(hits, 1, 'the request was not sent a second time');
});

test('a local effect that started without committing is run again from a clean workspace, and its half-done change is discarded', async (t) => {
  let flaky!: ReturnType<typeof flakyDb>;
  const rig = await startRuntimeRig(t, {
    wrapDb: (pool) => (flaky = flakyDb(pool)).db,
    catalog: {
      fixer: writer('fixer', async (ctx) => {
        must(await ctx.tools.call('write_file', { path: 'note.txt', content: 'a\n' }));
        const before = must(await ctx.tools.call('read_file', { path: 'note.txt' }));
        must(await ctx.tools.call('write_file', { path: 'note.txt', content: `${before.output}b\n` }));
        return { summary: 'appended', findings: [], patches: [] };
      }),
    },
    templates: { 'diagnose-and-fix': { name: 'diagnose-and-fix', description: 'x', steps: [{ id: 'append', agent: 'fixer', needs: [] }] } },
  });
  const workflowId = newUlid();
  // The second write runs, but the database is gone before its commit.
  flaky.failAfter(/SET status = 'started'/, 2);
  await assert.rejects(rig.run('diagnose-and-fix', { workflowId }), LedgerError);
  flaky.heal();
  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
  const rec = (await rig.records.show(workflowId))!;
  assert.match(rec.patchList[0].diff, /\+a\n\+b\n/, 'the file reads a, b: not a, b, b');
  const first = await rig.query<{ seq: number; status: string }>(
    'SELECT seq, status FROM runtime.effects WHERE run_id = $1 AND attempt = 1 ORDER BY seq',
    [workflowId],
  );
  assert.deepEqual(
    first.map((e) => [e.seq, e.status]),
    [
      [1, 'committed'],
      [3, 'abandoned'],
    ],
  );
});
