import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecisionRecord } from '../../../../customer-plane/gate/gate.ts';
import { inputHash, type PriorEffect } from '../../../../customer-plane/runner/ledger/journal.ts';
import { StepFailure } from '../../../../customer-plane/tools/toolbox.ts';
import { allowList, allowWrite, fakeGate, fakeJournal, fakeWorkspace, prior, secretsOf, toolbox } from '../../../support/step-toolbox.ts';

/**
 * Direct tests of what a resumed step does with the previous attempt's effects: committed ones are
 * replayed from the ledger (never run again), one that started and never committed is run again only
 * if it could not reach outside the workspace.
 */

const write = (path: string, content: string) => ({ path, content });
const hashOf = (tool: string, input: unknown) => inputHash(tool, input);
const effects = (...ps: PriorEffect[]) => new Map(ps.map((p) => [p.seq, p]));
const decisionAt = (seq: number, o: Partial<DecisionRecord> = {}): DecisionRecord => ({
  runId: 'run-1',
  stepId: 'step-1',
  agent: 'fixer',
  tool: 'git',
  decision: 'ask',
  reason: 'approval_granted' as DecisionRecord['reason'],
  approval: 'approved',
  seq,
  ...o,
});

async function resumed(t: Parameters<typeof fakeWorkspace>[0], priors: PriorEffect[], decisions = new Map<number, DecisionRecord>()) {
  const ws = await fakeWorkspace(t);
  const j = fakeJournal();
  const g = fakeGate((req) => {
    const input = req.call.input as { path?: string; content?: string };
    return input.path ? allowWrite(ws.root, input.path, input.content ?? '') : allowList();
  });
  const { tb, decisions: seen } = toolbox(
    { gate: g.gate, journal: j.journal, workspace: ws.workspace },
    { prior: { effects: effects(...priors), decisions } },
  );
  return { ...ws, ...j, ...g, tb, seen };
}

test('a committed effect is replayed from the ledger: its diff re-applied, its result returned, the gate not asked, nothing run', async (t) => {
  const input = write('a.txt', 'one');
  const p = prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), diff: '->a.txt=one', treeAfter: 'a.txt=one' });
  const r = await resumed(t, [p]);
  const result = await r.tb.call('write_file', input);
  assert.deepEqual(result, { ok: true, output: 'from the ledger' });
  assert.equal(r.requests.length, 0);
  assert.equal(await readFile(join(r.root, 'a.txt'), 'utf8'), 'one');
  assert.equal(r.tb.currentTree(), 'a.txt=one');
  assert.deepEqual(
    r.entries.map(([k]) => k),
    ['replay', 'call'],
  );
  assert.deepEqual(r.of('replay'), [p.id]);
  const call = r.of('call')[0] as Record<string, unknown>;
  assert.deepEqual(
    { seq: call.seq, decision: call.decision, reason: call.reason, approval: call.approval, replayed: call.replayed, result: call.result },
    { seq: 1, decision: 'allow', reason: 'allowed', approval: 'none', replayed: true, result },
  );
  assert.deepEqual(r.seen, [], 'no decision is recorded again when the previous attempt had none');

  // The next call, past the previous attempt's end, runs live from the replayed tree.
  await r.tb.call('write_file', write('b.txt', 'two'));
  assert.equal(r.requests.length, 1);
  assert.equal((r.of('plan')[0] as { treeBefore: string }).treeBefore, 'a.txt=one');
});

test('a replayed effect brings back the decision it was taken under (an approval is not asked again)', async (t) => {
  const input = { args: ['push'] };
  const p = prior({ seq: 1, tool: 'git', inputHash: hashOf('git', input), external: true });
  const d = decisionAt(1, { seq: 9 });
  const r = await resumed(t, [p], new Map([[1, d]]));
  await r.tb.callRaw('git', input);
  assert.equal(r.requests.length, 0);
  assert.deepEqual(r.of('decision'), [{ ...d, seq: 1 }]);
  assert.deepEqual(r.seen, [d]);
  const call = r.of('call')[0] as Record<string, unknown>;
  assert.deepEqual([call.decision, call.reason, call.approval, call.replayed], ['ask', 'approval_granted', 'approved', true]);
  assert.deepEqual(r.applied, [''], 'an effect with no diff applies nothing');
});

test('a replay that does not give the recorded tree fails the step with workspace_error; a diff that does not apply fails it too', async (t) => {
  const input = write('a.txt', 'one');
  const wrongTree = await resumed(t, [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), diff: '->a.txt=one', treeAfter: 'a.txt=two' }),
  ]);
  await assert.rejects(
    wrongTree.tb.call('write_file', input),
    (e: unknown) =>
      e instanceof StepFailure && e.code === 'workspace_error' && e.message === 'the replayed effect did not give the recorded workspace',
  );
  assert.deepEqual(wrongTree.of('replay'), []);

  const noCheck = await resumed(t, [prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), diff: '->a.txt=one' })]);
  await noCheck.tb.call('write_file', input);
  assert.equal(noCheck.tb.currentTree(), 'a.txt=one', 'without a recorded tree the applied one is taken');

  const broken = await resumed(t, [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), diff: 'x.txt=9->a.txt=one' }),
  ]);
  await assert.rejects(broken.tb.call('write_file', input), /the diff does not apply/);
  assert.deepEqual(broken.of('replay'), []);
});

test('an effect that wrote a secret is replayed with the value filled back into its masked diff', async (t) => {
  const secret = 'hunter2-s3cr3t-value';
  const input = write('.env', 'TOKEN={{secret:API_TOKEN}}');
  const p = prior({
    seq: 1,
    tool: 'write_file',
    inputHash: hashOf('write_file', input),
    diff: '->.env=TOKEN=[masked:API_TOKEN]',
    treeAfter: `.env=TOKEN=${secret}`,
  });
  const ws = await fakeWorkspace(t);
  const j = fakeJournal();
  const g = fakeGate(() => allowList());
  const { tb } = toolbox(
    { gate: g.gate, journal: j.journal, workspace: ws.workspace },
    { prior: { effects: effects(p), decisions: new Map() }, secrets: secretsOf({ API_TOKEN: secret }) },
  );
  await tb.call('write_file', input);
  assert.equal(await readFile(join(ws.root, '.env'), 'utf8'), `TOKEN=${secret}`);
  assert.equal(tb.currentTree(), `.env=TOKEN=${secret}`);
});

test('a masked diff that cannot give back its secret (rotated, removed, or no secrets) fails with workspace_secret_unreplayable', async (t) => {
  const input = write('.env', 'x');
  const p = prior({
    seq: 1,
    tool: 'write_file',
    inputHash: hashOf('write_file', input),
    diff: '->.env=TOKEN=[masked:API_TOKEN]',
    treeAfter: '.env=TOKEN=hunter2-s3cr3t-value',
  });
  const unreplayable = (e: unknown) =>
    e instanceof StepFailure &&
    e.code === 'workspace_secret_unreplayable' &&
    e.message === 'the replayed effect wrote a secret its masked record cannot give back (rotated or removed since, or written encoded)';
  for (const secrets of [secretsOf({ API_TOKEN: 'rotated-since-then-value' }), undefined]) {
    const ws = await fakeWorkspace(t);
    const j = fakeJournal();
    const { tb } = toolbox(
      { gate: fakeGate(() => allowList()).gate, journal: j.journal, workspace: ws.workspace },
      { prior: { effects: effects(p), decisions: new Map() }, secrets },
    );
    await assert.rejects(tb.call('write_file', input), unreplayable);
  }
  // A masked diff that does not even apply is the same failure, not the apply error, with or without a recorded tree.
  for (const treeAfter of [p.treeAfter, null]) {
    const ws = await fakeWorkspace(t);
    const { tb } = toolbox(
      { gate: fakeGate(() => allowList()).gate, journal: fakeJournal().journal, workspace: ws.workspace },
      { prior: { effects: effects({ ...p, diff: 'y=1->.env=[masked:API_TOKEN]', treeAfter }), decisions: new Map() } },
    );
    await assert.rejects(tb.call('write_file', input), unreplayable);
  }
});

test('an external effect that started and never committed fails the step with effect_uncommitted and is not run again', async (t) => {
  const input = { args: ['push'] };
  const r = await resumed(t, [
    prior({ seq: 1, tool: 'git', inputHash: hashOf('git', input), external: true, status: 'started', result: null }),
  ]);
  await assert.rejects(
    r.tb.callRaw('git', input),
    (e: unknown) =>
      e instanceof StepFailure &&
      e.code === 'effect_uncommitted' &&
      e.message === 'an effect that could reach outside the workspace started and never committed; it is not run again',
  );
  assert.equal(r.requests.length, 0);
  assert.deepEqual(r.entries, []);
});

test('a local effect that started and never committed is abandoned and run again live', async (t) => {
  const input = write('a.txt', 'one');
  const p = prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), status: 'started', result: null });
  const r = await resumed(t, [p]);
  const result = await r.tb.call('write_file', input);
  assert.deepEqual(result, { ok: true, output: 'wrote 3 bytes to a.txt', data: { created: true } });
  assert.deepEqual(
    r.entries.map(([k]) => k),
    ['abandon', 'plan', 'start', 'commit', 'call'],
  );
  assert.deepEqual(r.of('abandon'), [p.id]);
  assert.equal(r.requests.length, 1);
});

test('a call that differs from the previous attempt’s ends replay: its unfinished effects from there on are abandoned, the rest runs live', async (t) => {
  const a = write('a.txt', 'one');
  const b = write('b.txt', 'two');
  const priors = [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', a), diff: '->a.txt=one', treeAfter: 'a.txt=one' }),
    // seq 2 was a read: not an effect, run live while replay goes on.
    prior({ seq: 3, tool: 'write_file', inputHash: hashOf('write_file', b), diff: 'a.txt=one->a.txt=one|b.txt=two' }),
    prior({ seq: 4, tool: 'write_file', inputHash: hashOf('write_file', b), status: 'started', result: null }),
    prior({ seq: 5, tool: 'write_file', inputHash: hashOf('write_file', b), status: 'planned', result: null }),
  ];
  const r = await resumed(t, priors);
  await r.tb.call('write_file', a);
  await r.tb.call('list_files', {});
  assert.deepEqual(r.of('replay'), [1001]);
  // The model took another path at seq 3: the committed seq 3 stays as it was; 4 and 5 are abandoned.
  await r.tb.call('write_file', write('c.txt', 'three'));
  assert.deepEqual(r.of('abandon'), [1004, 1005]);
  assert.equal(r.tb.currentTree(), 'a.txt=one|c.txt=three');
  // Replay is over: the same call as seq 4's runs live, and nothing more is abandoned.
  await r.tb.call('write_file', b);
  assert.deepEqual(r.of('abandon'), [1004, 1005]);
  assert.deepEqual(r.of('replay'), [1001]);
  assert.equal(r.requests.length, 3);
});

test('a prior effect under the same seq but another tool is not replayed', async (t) => {
  const input = write('a.txt', 'one');
  const r = await resumed(t, [prior({ seq: 1, tool: 'delete_file', inputHash: hashOf('write_file', input), diff: '->a.txt=one' })]);
  await r.tb.call('write_file', input);
  assert.deepEqual(r.of('replay'), []);
  assert.equal(r.requests.length, 1);
});

test('a committed effect whose result is missing is not taken as replayable: it is abandoned and run again', async (t) => {
  const input = write('a.txt', 'one');
  const r = await resumed(t, [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), result: null, diff: '->a.txt=one' }),
  ]);
  await r.tb.call('write_file', input);
  assert.deepEqual(r.of('replay'), []);
  assert.deepEqual(r.of('abandon'), [1001]);
  assert.equal(r.requests.length, 1);
});

test('a different call where the previous attempt left an unfinished effect abandons that effect too', async (t) => {
  const r = await resumed(t, [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', write('a.txt', 'one')), status: 'planned', result: null }),
  ]);
  await r.tb.call('write_file', write('z.txt', 'other'));
  assert.deepEqual(r.of('abandon'), [1001]);
  assert.equal(r.tb.currentTree(), 'z.txt=other');
});

test('a replay that cannot go on ends the step even if the agent swallows it: the unfinished external effect is never run again', async (t) => {
  const push = { args: ['push'] };
  const r = await resumed(t, [
    prior({ seq: 1, tool: 'git', inputHash: hashOf('git', push), external: true, status: 'started', result: null }),
  ]);
  const uncommitted = (e: unknown) => e instanceof StepFailure && e.code === 'effect_uncommitted';
  await r.tb.callRaw('git', push).catch(() => {}); // a code agent that catches every error and tries again
  await assert.rejects(r.tb.callRaw('git', push), uncommitted);
  assert.equal(r.requests.length, 0, 'the push is not asked for, let alone run, a second time');
  assert.deepEqual(r.entries, []);
  assert.throws(() => r.tb.throwIfSticky(), uncommitted);

  // The same for a replay that did not rebuild the recorded workspace: nothing runs on a workspace the ledger does not describe.
  const input = write('a.txt', 'one');
  const wrongTree = await resumed(t, [
    prior({ seq: 1, tool: 'write_file', inputHash: hashOf('write_file', input), diff: '->a.txt=one', treeAfter: 'a.txt=two' }),
  ]);
  await wrongTree.tb.call('write_file', input).catch(() => {});
  await assert.rejects(wrongTree.tb.call('list_files', {}), (e: unknown) => e instanceof StepFailure && e.code === 'workspace_error');
  assert.equal(wrongTree.requests.length, 0);
});

test('an external effect that was planned and never started did not run: it is abandoned and run again', async (t) => {
  const push = { args: ['push'] };
  const r = await resumed(t, [
    prior({ seq: 1, tool: 'git', inputHash: hashOf('git', push), external: true, status: 'planned', result: null }),
  ]);
  await r.tb.callRaw('git', push);
  assert.deepEqual(r.of('abandon'), [1001]);
  assert.equal(r.requests.length, 1);
});

test('only a committed effect is replayed: a started one is not taken as done from a result its row holds', async (t) => {
  const push = { args: ['push'] };
  const r = await resumed(t, [prior({ seq: 1, tool: 'git', inputHash: hashOf('git', push), external: true, status: 'started' })]);
  await assert.rejects(r.tb.callRaw('git', push), (e: unknown) => e instanceof StepFailure && e.code === 'effect_uncommitted');
  assert.deepEqual(r.of('replay'), []);
});
