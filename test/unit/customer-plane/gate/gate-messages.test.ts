import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRejectingBroker } from '../../../../customer-plane/gate/approval-broker.ts';
import { createGate, type GateAgent } from '../../../../customer-plane/gate/gate.ts';
import { DEFAULT_POLICY, type PolicyContext } from '../../../../customer-plane/gate/policy.ts';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { PathCheck } from '../../../../customer-plane/workspace/paths.ts';

// A refusal's message is the tool result the model reads (toolbox.ts): it is how an agent learns what to
// do instead. The path check is workspace.test.ts's subject; here every string path passes it.
const workspace = {
  root: '/ws',
  check: async (rel: unknown): Promise<PathCheck> =>
    typeof rel === 'string' ? { ok: true, rel, abs: `/ws/${rel}` } : { ok: false, reason: 'path_invalid', message: 'not a path' },
};
const guard = await createCommandGuard();
const gate = createGate({ guard, sandbox: 'bwrap', broker: createRejectingBroker(), record: () => {} });
const FIXER: GateAgent = {
  name: 'fixer',
  tools: ['read_file', 'apply_patch', 'run_command', 'git', 'write_file', 'fetch_url'],
  programs: ['ls'],
};
const READER: GateAgent = { name: 'reviewer', tools: ['list_files', 'read_file', 'search'] };

async function refusal(tool: string, input: unknown, o: { agent?: GateAgent; policy?: PolicyContext; used?: number } = {}) {
  const r = await gate.authorize({
    runId: '01JGATEMSG0000000000000001',
    stepId: '01JGATEMSGSTEP000000000001',
    seq: 1,
    agent: o.agent ?? FIXER,
    call: { tool, input },
    workspace,
    policy: o.policy ?? DEFAULT_POLICY,
    budget: { used: o.used ?? 0, max: 12 },
    signal: new AbortController().signal,
  });
  assert.equal(r.ok, false, `${tool} ${JSON.stringify(input)} is refused`);
  return r.ok ? { reason: undefined, message: '' } : { reason: r.reason, message: r.message };
}

test('a refused tool names the tools the agent has; a name that is no tool is not echoed back', async () => {
  assert.deepEqual(await refusal('write_file', { path: 'a', content: 'b' }, { agent: READER }), {
    reason: 'tool_not_allowed',
    message: 'this agent may not call write_file; its tools: list_files, read_file, search',
  });
  assert.deepEqual(await refusal('rm -rf /', {}, { agent: READER }), {
    reason: 'tool_not_allowed',
    message: 'this agent may not call that tool; its tools: list_files, read_file, search',
  });
});

test('the budget refusal says how many calls the step had', async () => {
  assert.deepEqual(await refusal('read_file', { path: 'a' }, { used: 12 }), {
    reason: 'budget_exhausted',
    message: 'the step has used its 12 tool calls',
  });
});

test('invalid arguments are named field by field (the input itself when it is no object), at most five of them', async () => {
  const field = await refusal('read_file', { path: 42 });
  assert.equal(field.reason, 'invalid_arguments');
  assert.match(field.message, /^invalid arguments for read_file: path: \w.*string/);
  const whole = await refusal('run_command', '{"command": "ls"');
  assert.match(whole.message, /^invalid arguments for run_command: \(input\): \w.*object/);
  // Seven wrong elements: the message stays bounded however much the model got wrong.
  const many = await refusal('git', { args: [1, 2, 3, 4, 5, 6, 7] });
  const parts = many.message.replace(/^invalid arguments for git: /, '').split('; ');
  assert.deepEqual(
    parts.map((p) => p.split(': ')[0]),
    ['args.0', 'args.1', 'args.2', 'args.3', 'args.4'],
    many.message,
  );
  for (const p of parts) assert.match(p, /^args\.\d: \w.*number/);
});

test('refusals of a well-typed call say what is wrong with it', async () => {
  assert.deepEqual(await refusal('read_file', { path: 'a', startLine: 5, endLine: 2 }), {
    reason: 'invalid_arguments',
    message: 'endLine is before startLine',
  });
  assert.deepEqual(await refusal('apply_patch', { diff: 'no headers here' }), {
    reason: 'invalid_arguments',
    message: 'diff has no file headers (diff --git a/… b/…, --- a/… / +++ b/…)',
  });
  assert.deepEqual(await refusal('fetch_url', { url: 'ftp://example.com/x' }), {
    reason: 'network_not_allowed',
    message: 'only http and https URLs can be fetched',
  });
});

test('a command the guard refuses carries the guard’s own explanation', async () => {
  const verdict = guard.check('cat a', { programs: ['ls'] });
  assert.ok(!verdict.ok && verdict.detail.includes('cat'));
  assert.deepEqual(await refusal('run_command', { command: 'cat a' }), {
    reason: 'program_not_allowed',
    message: `the command guard refused it: ${!verdict.ok && verdict.detail}`,
  });
});

test('a policy denial names the environment and the autonomy level that refused it', async () => {
  const observe: PolicyContext = { environment: 'preview', writes: 'allow', actAloneFrom: 'autonomous', autonomy: 'observe' };
  assert.deepEqual(await refusal('write_file', { path: 'a', content: 'b' }, { policy: observe }), {
    reason: 'autonomy_level',
    message: "the preview environment's policy refuses this at autonomy level observe",
  });
});
