import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputHash } from '../../../../customer-plane/runner/ledger/journal.ts';
import { StepFailure } from '../../../../customer-plane/tools/toolbox.ts';
import { RetryableError } from '../../../../shared/worker-errors.ts';
import { AgentplaneError } from '../../../../shared/errors.ts';
import { allowList, allowWrite, fakeGate, fakeJournal, fakeLog, fakeWorkspace, secretsOf, toolbox } from '../../../support/step-toolbox.ts';

/** Direct tests of the step toolbox's live path: every effect goes planned → started → committed in the ledger. */

test('an effect is planned, started, run and committed with its result and diff, in that order; the next starts from its tree', async (t) => {
  const { workspace, root } = await fakeWorkspace(t);
  const { journal, entries, of } = fakeJournal();
  const { gate } = fakeGate((req) =>
    allowWrite(root, (req.call.input as { path: string }).path, (req.call.input as { content: string }).content),
  );
  const { tb } = toolbox({ gate, journal, workspace }, { treeBefore: '' });
  const input = { path: 'a.txt', content: 'one' };
  const r = await tb.call('write_file', input);
  assert.deepEqual(r, { ok: true, output: 'wrote 3 bytes to a.txt', data: { created: true } });
  assert.equal(await readFile(join(root, 'a.txt'), 'utf8'), 'one');
  assert.deepEqual(
    entries.map(([k]) => k),
    ['plan', 'start', 'commit', 'call'],
  );
  assert.deepEqual(of('plan')[0], {
    seq: 1,
    tool: 'write_file',
    inputHash: inputHash('write_file', input),
    external: false,
    treeBefore: '',
  });
  assert.deepEqual(of('start'), [101]);
  assert.deepEqual(of('commit')[0], { id: 101, result: r, diff: '->a.txt=one', treeAfter: 'a.txt=one' });
  assert.equal(tb.currentTree(), 'a.txt=one');

  await tb.call('write_file', { path: 'b.txt', content: 'two' });
  assert.deepEqual(
    of('plan').map((p) => (p as { seq: number; treeBefore: string }).treeBefore),
    ['', 'a.txt=one'],
  );
  assert.deepEqual(of('commit')[1], {
    id: 102,
    result: { ok: true, output: 'wrote 3 bytes to b.txt', data: { created: true } },
    diff: 'a.txt=one->a.txt=one|b.txt=two',
    treeAfter: 'a.txt=one|b.txt=two',
  });
  assert.deepEqual(tb.stats(), { calls: 2, refusals: 0, lastRefusal: undefined });
});

test('an effect that could reach outside the workspace is planned as external', async (t) => {
  const { workspace, root } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  const { gate } = fakeGate(() => allowWrite(root, 'a.txt', 'x', { external: true, effect: 'network' }));
  const { tb } = toolbox({ gate, journal, workspace });
  await tb.call('write_file', { path: 'a.txt', content: 'x' });
  assert.equal((of('plan')[0] as { external: boolean }).external, true);
});

test('a read is recorded as a call only: no effect is planned, the tree does not move', async (t) => {
  const { workspace, lay } = await fakeWorkspace(t);
  await lay('a.txt=one');
  const { journal, entries } = fakeJournal();
  const { gate } = fakeGate(() => allowList());
  const { tb } = toolbox({ gate, journal, workspace }, { treeBefore: 'a.txt=one' });
  const r = await tb.call('list_files', {});
  assert.deepEqual(r, { ok: true, output: 'a.txt', truncated: false, data: { count: 1 } });
  assert.deepEqual(
    entries.map(([k]) => k),
    ['call'],
  );
  assert.equal(tb.currentTree(), 'a.txt=one');
});

test('each call is recorded with its seq, the gate’s decision and approval, and not as replayed', async (t) => {
  const { workspace, root } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  const answers = [
    allowWrite(root, 'a.txt', 'x', { approval: 'approved' }),
    allowList(),
    { ok: false, decision: 'deny', reason: 'path_outside_workspace', message: 'no', approval: 'none' } as const,
    { ok: false, decision: 'ask', reason: 'approval_rejected', message: 'a person said no', approval: 'rejected' } as const,
  ];
  const { gate, requests } = fakeGate(() => answers.shift()!);
  const signal = new AbortController().signal;
  const { tb } = toolbox({ gate, journal, workspace }, { maxCalls: 7, signal });
  await tb.call('write_file', { path: 'a.txt', content: 'x' });
  await tb.call('list_files', {});
  const denied = await tb.callRaw('read_file', { path: '../etc/passwd' });
  assert.deepEqual(denied, { ok: false, decision: 'deny', reason: 'path_outside_workspace', message: 'no' });
  await tb.callRaw('git', { args: ['push'] });
  const calls = of('call') as Array<Record<string, unknown>>;
  assert.deepEqual(
    calls.map(({ seq, tool, decision, reason, approval, replayed }) => ({ seq, tool, decision, reason, approval, replayed })),
    [
      { seq: 1, tool: 'write_file', decision: 'ask', reason: 'allowed', approval: 'approved', replayed: false },
      { seq: 2, tool: 'list_files', decision: 'allow', reason: 'allowed', approval: 'none', replayed: false },
      { seq: 3, tool: 'read_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', replayed: false },
      { seq: 4, tool: 'git', decision: 'ask', reason: 'approval_rejected', approval: 'rejected', replayed: false },
    ],
  );
  assert.deepEqual(calls[2].input, { path: '../etc/passwd' });
  assert.deepEqual(calls[2].result, denied);
  for (const c of calls) assert.ok(typeof c.durationMs === 'number' && c.durationMs >= 0 && c.durationMs < 60_000);
  assert.deepEqual(tb.stats(), { calls: 4, refusals: 2, lastRefusal: 'approval_rejected' });
  // The gate sees the step, the budget used so far and the step's signal.
  assert.deepEqual(
    requests.map((r) => [r.runId, r.stepId, r.seq, r.budget, r.signal === signal, r.workspace === workspace, r.agent.name]),
    [1, 2, 3, 4].map((s) => ['run-1', 'step-1', s, { used: s - 1, max: 7 }, true, true, 'fixer']),
  );
  assert.deepEqual(requests[3].call, { tool: 'git', input: { args: ['push'] } });
});

test('an approval nobody decided in time fails the step, and every later call is refused without asking', async (t) => {
  const { workspace } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  const { gate, requests } = fakeGate(() => ({
    ok: false,
    decision: 'ask',
    reason: 'approval_timeout',
    message: 'nobody decided',
    approval: 'timeout',
  }));
  const { tb } = toolbox({ gate, journal, workspace });
  assert.doesNotThrow(() => tb.throwIfSticky());
  await assert.rejects(tb.callRaw('git', { args: ['push'] }), (e: unknown) => e instanceof StepFailure && e.code === 'approval_timeout');
  assert.equal(of('call').length, 1, 'the refusal is recorded before the step fails');
  await assert.rejects(tb.callRaw('list_files', {}), (e: unknown) => e instanceof StepFailure && e.code === 'approval_timeout');
  assert.equal(requests.length, 1, 'nothing more is asked');
  assert.throws(
    () => tb.throwIfSticky(),
    (e: unknown) => e instanceof StepFailure && e.code === 'approval_timeout',
  );
});

test('a retryable interruption of the gate ends the step even if the agent swallows it; another failure does not', async (t) => {
  const { workspace } = await fakeWorkspace(t);
  const { journal } = fakeJournal();
  let fail: Error = new Error('a bug');
  const { gate, requests } = fakeGate(() => {
    throw fail;
  });
  const { tb } = toolbox({ gate, journal, workspace });
  await assert.rejects(tb.callRaw('list_files', {}), /a bug/);
  assert.doesNotThrow(() => tb.throwIfSticky());
  fail = new RetryableError('runner_stopping', 'the runner is stopping');
  await assert.rejects(tb.callRaw('list_files', {}), (e: unknown) => e === fail);
  assert.throws(
    () => tb.throwIfSticky(),
    (e: unknown) => e === fail,
  );
  await assert.rejects(tb.callRaw('list_files', {}), (e: unknown) => e === fail);
  assert.equal(requests.length, 2);
});

test('a tool that throws gives a failed result and a warning, not a refusal; a StepFailure ends the step', async (t) => {
  const { workspace } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  const { log, lines } = fakeLog();
  const boom = new Error('disk gone');
  let thrown: Error = boom;
  (workspace as { listFiles: unknown }).listFiles = async () => {
    throw thrown;
  };
  const { gate } = fakeGate(() => allowList());
  const { tb } = toolbox({ gate, journal, workspace }, { log });
  const r = await tb.call('list_files', {});
  assert.deepEqual(r, { ok: false, decision: 'error', reason: 'failed', message: 'the tool failed to run' });
  assert.deepEqual(lines, [{ level: 'warn', obj: { tool: 'list_files', err: boom }, msg: 'tool execution failed' }]);
  assert.deepEqual(of('call').length, 1);
  assert.deepEqual(tb.stats(), { calls: 1, refusals: 0, lastRefusal: undefined });
  thrown = new StepFailure('workspace_error', 'the workspace broke');
  await assert.rejects(tb.call('list_files', {}), (e: unknown) => e === thrown);
});

test('results are masked before the agent or the ledger sees them: output, cut output and failure messages', async (t) => {
  const { workspace } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  const secret = 'hunter2-s3cr3t-value';
  const secrets = secretsOf({ API_TOKEN: secret });
  const listed = [
    { files: [`conf-${secret}.txt`], truncated: false },
    { files: [`tail-${secret.slice(0, 9)}`], truncated: true },
    { files: [`tail-${secret.slice(0, 9)}`], truncated: false },
  ];
  (workspace as { listFiles: unknown }).listFiles = async () => listed.shift();
  const command = { pipeline: [['curl', '{{secret:API_TOKEN}}']], redirects: [], consequences: [], runsRepositoryCode: false };
  const answers = [allowList(), allowList(), allowList()];
  const { gate } = fakeGate(
    () => answers.shift() ?? { ...allowList(), call: { tool: 'run_command', input: { command: 'curl' }, command }, effect: 'network' },
  );
  const { tb } = toolbox(
    { gate, journal, workspace },
    { secrets: { ...secrets, resolve: async () => Promise.reject(new AgentplaneError('secret_unknown', `store said ${secret}`)) } },
  );
  assert.deepEqual(await tb.call('list_files', {}), {
    ok: true,
    output: 'conf-[masked:API_TOKEN].txt',
    truncated: false,
    data: { count: 1 },
  });
  // Cut short, the output may end in half a secret: that fragment is masked too; an uncut output is masked exactly.
  assert.deepEqual(await tb.call('list_files', {}), { ok: true, output: 'tail-[masked:API_TOKEN]', truncated: true, data: { count: 1 } });
  assert.equal(((await tb.call('list_files', {})) as { output: string }).output, `tail-${secret.slice(0, 9)}`);
  const failedRun = await tb.callRaw('run_command', { command: 'curl' });
  assert.deepEqual(failedRun, {
    ok: false,
    decision: 'error',
    reason: 'failed',
    message: 'the command was not run: store said [masked:API_TOKEN]',
  });
  assert.ok(!JSON.stringify(of('call')).includes(secret), 'the ledger never gets the value');
  assert.ok(!JSON.stringify(of('commit')).includes(secret));
});

test('what an executor adds to a result itself (the exit line, the signal in its data) is masked too', async (t) => {
  const { workspace } = await fakeWorkspace(t);
  const { journal, of } = fakeJournal();
  // A secret whose value is what the runner reports: the executor masks only the command's own streams.
  const secrets = secretsOf({ ODD: 'SIGKILL' });
  const runner = {
    sandbox: 'none' as const,
    run: async () => ({ exitCode: null, signal: 'SIGKILL', stdout: 'out\n', stderr: '', truncated: false, timedOut: false }),
  };
  const command = { pipeline: [['sleep', '9']], redirects: [], consequences: [], runsRepositoryCode: false };
  const { gate } = fakeGate(() => ({
    ...allowList(),
    call: { tool: 'run_command', input: { command: 'sleep 9' }, command },
    effect: 'exec',
  }));
  const { tb } = toolbox({ gate, journal, workspace }, { secrets, runner });
  const r = await tb.callRaw('run_command', { command: 'sleep 9' });
  assert.deepEqual(r, {
    ok: true,
    output: 'out\n[exit signal [masked:ODD]]',
    truncated: false,
    data: { exitCode: null, signal: '[masked:ODD]', stdoutChars: 4 },
  });
  assert.deepEqual((of('commit')[0] as { result: unknown }).result, r);
});

test('masking hands on a result without data as the tool gave it: no data is added', async (t) => {
  const { workspace, root, lay } = await fakeWorkspace(t);
  await lay('a.txt=one');
  const { journal, of } = fakeJournal();
  const { gate } = fakeGate(() => ({
    ...allowList(),
    call: { tool: 'delete_file', input: { path: 'a.txt' }, abs: join(root, 'a.txt') },
    effect: 'write',
  }));
  const { tb } = toolbox({ gate, journal, workspace }, { secrets: secretsOf({ API_TOKEN: 'hunter2-s3cr3t-value' }) });
  const r = await tb.callRaw('delete_file', { path: 'a.txt' });
  assert.deepEqual(Object.keys(r), ['ok', 'output']);
  assert.deepEqual((of('commit')[0] as { result: unknown }).result, { ok: true, output: 'deleted a.txt' });
});
