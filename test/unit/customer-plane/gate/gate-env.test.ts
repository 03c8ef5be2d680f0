import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ApprovalRequest, createRejectingBroker } from '../../../../customer-plane/gate/approval-broker.ts';
import { createGate, type GateAgent, type GateDeps } from '../../../../customer-plane/gate/gate.ts';
import { DEFAULT_POLICY } from '../../../../customer-plane/gate/policy.ts';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';

// run_command's env: its secret references go through the same checks as those in the argv.
const RUNNER: GateAgent = { name: 'fixer', tools: ['read_file', 'run_command', 'git'], programs: ['ls', 'node'] };
const guard = await createCommandGuard();
// No redirects in these commands: the gate never asks the workspace to check a path.
const workspace = { root: '/tmp/gate-env-ws', check: async () => assert.fail('no path to check') };

function gateWith(secrets: GateDeps['secrets'], sandbox: 'bwrap' | 'none' = 'bwrap') {
  const asked: ApprovalRequest[] = [];
  const broker = createRejectingBroker();
  const gate = createGate({ guard, sandbox, broker: { request: (r) => (asked.push(r), broker.request(r)) }, secrets, record: () => {} });
  let seq = 0;
  const call = (input: unknown, agent: GateAgent = RUNNER, tool = 'run_command') =>
    gate.authorize({
      runId: '01JGATETEST000000000000001',
      stepId: '01JGATESTEP000000000000001',
      seq: ++seq,
      agent,
      call: { tool, input },
      workspace,
      policy: DEFAULT_POLICY,
      budget: { used: 0, max: 50 },
      signal: new AbortController().signal,
    });
  return { call, asked };
}

test('an env reference to a secret of the run’s scope is allowed and passed on as the reference; each one is checked at every call', async () => {
  const checked: string[] = [];
  const g = gateWith({ has: async (name) => (checked.push(name), name === 'NPM_TOKEN' || name === 'GH_TOKEN') });
  const input = {
    command: 'ls',
    env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}', GITHUB_AUTH: '{{secret:GH_TOKEN}}', AGAIN: '{{secret:NPM_TOKEN}}' },
  };
  const r = await g.call(input);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.call.tool, 'run_command');
  assert.deepEqual(r.call.tool === 'run_command' && r.call.input.env, input.env, 'the executor gets the references, never values');
  assert.deepEqual(checked, ['NPM_TOKEN', 'GH_TOKEN'], 'each name once');
  await g.call(input);
  assert.deepEqual(checked, ['NPM_TOKEN', 'GH_TOKEN', 'NPM_TOKEN', 'GH_TOKEN'], 'and again at the next call');
});

test('an env reference to a secret the run cannot use is refused secret_unknown, naming it — also when the command itself names none', async () => {
  const g = gateWith({ has: async (name) => name === 'NPM_TOKEN' });
  const r = await g.call({ command: 'ls', env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}', PROD: '{{secret:PROD_TOKEN}}' } });
  assert.deepEqual(!r.ok && [r.decision, r.reason, r.message], [
    'deny',
    'secret_unknown',
    'the command references a secret this run cannot use: PROD_TOKEN',
  ]);
});

test('env references are refused when the run has no secrets or the store cannot be reached', async () => {
  const none = await gateWith(undefined).call({ command: 'ls', env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}' } });
  assert.deepEqual(!none.ok && none.reason, 'secret_unknown');
  const down = await gateWith({ has: async () => Promise.reject(new Error('store down')) }).call({
    command: 'ls',
    env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}' },
  });
  assert.deepEqual(!down.ok && down.reason, 'secret_unknown');
  assert.match(!down.ok ? down.message : '', /could not be reached to check NPM_TOKEN/);
});

test('only an agent that may run commands can pass env, and only on run_command; a literal or a denied name is invalid_arguments with the problem', async () => {
  const g = gateWith({ has: async () => true });
  const env = { NPM_TOKEN: '{{secret:NPM_TOKEN}}' };
  const reader = await g.call({ command: 'ls', env }, { name: 'reviewer', tools: ['read_file'] });
  assert.equal(!reader.ok && reader.reason, 'tool_not_allowed');
  const git = await g.call({ args: ['status'], env }, RUNNER, 'git');
  assert.equal(!git.ok && git.reason, 'invalid_arguments', 'git has no env');
  const literal = await g.call({ command: 'node x.js', env: { TOKEN: '--require=/tmp/evil.js' } });
  assert.deepEqual(!literal.ok && [literal.reason, literal.message], [
    'invalid_arguments',
    'invalid arguments for run_command: env.TOKEN: must be exactly one secret reference {{secret:NAME}}, with nothing before or after it',
  ]);
  const preload = await g.call({ command: 'ls', env: { LD_PRELOAD: '{{secret:NPM_TOKEN}}' } });
  assert.equal(!preload.ok && preload.reason, 'invalid_arguments');
  assert.match(!preload.ok ? preload.message : '', /env\.LD_PRELOAD: .*LD_.*cannot be set/);
});

test('a person asked about a command sees the variables it sets, with references, and the secrets’ names', async () => {
  // Without a sandbox, running repository code (node x.js) is asked about.
  const g = gateWith({ has: async () => true }, 'none');
  const r = await g.call({ command: 'node x.js {{secret:ARG}}', env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}' } });
  assert.equal(!r.ok && r.decision, 'ask');
  const preview = g.asked.at(-1)!.preview;
  assert.deepEqual(preview.env, { NPM_TOKEN: '{{secret:NPM_TOKEN}}' });
  assert.deepEqual(preview.secrets, ['ARG', 'NPM_TOKEN']);
  // No env, or an empty one, adds nothing to the preview (nor to the key an approval is matched by).
  for (const input of [{ command: 'node x.js' }, { command: 'node x.js', env: {} }]) {
    await g.call(input);
    const shown = g.asked.at(-1)!.preview;
    assert.ok(!('env' in shown), `${JSON.stringify(input)}: no env shown`);
    assert.ok(!('secrets' in shown), `${JSON.stringify(input)}: no secrets shown`);
  }
});
