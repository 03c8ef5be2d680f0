import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AUTONOMY_LEVELS, DEFAULT_POLICY, decidePolicy, type PolicyAction } from '../../../../customer-plane/gate/policy.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../../customer-plane/environments/defaults.ts';
import { policyFor } from '../../../../customer-plane/runner/run-workflow.ts';

const write: PolicyAction = { effect: 'write', consequences: [], runsRepositoryCode: false, sandbox: 'bwrap' };
const test_: PolicyAction = { effect: 'exec', consequences: [], runsRepositoryCode: true, sandbox: 'bwrap' };
const read: PolicyAction = { effect: 'read', consequences: [], runsRepositoryCode: false, sandbox: 'bwrap' };
const push: PolicyAction = { effect: 'vcs', consequences: ['push'], runsRepositoryCode: false, sandbox: 'bwrap' };

// The shipped environments, and a `staging` defined with `actAloneFrom: autonomous` (only agents that
// earned autonomy act there unasked).
const DEFINED = [
  ...DEFAULT_ENVIRONMENTS,
  { ...DEFAULT_ENVIRONMENTS[1], name: 'staging', secrets: { prefix: 'staging/' }, actAloneFrom: 'autonomous' as const },
];
const at = (environment: string, autonomy: (typeof AUTONOMY_LEVELS)[number], action: PolicyAction) => {
  const def = DEFINED.find((e) => e.name === environment)!;
  const d = decidePolicy(action, { ...policyFor(def), autonomy });
  return `${d.decision}:${d.reason}`;
};

test('the autonomy level decides what an agent may do on its own: observe only reads, assisted acts alone only in the sandbox environment, autonomous acts within policy', () => {
  for (const env of ['sandbox', 'preview', 'production']) {
    assert.equal(at(env, 'observe', read), 'allow:allowed', `${env}: observing still reads`);
    assert.equal(at(env, 'observe', write), 'deny:autonomy_level', `${env}: observe proposes only`);
    assert.equal(at(env, 'observe', test_), 'deny:autonomy_level');
  }
  assert.equal(at('sandbox', 'assisted', write), 'allow:allowed');
  assert.equal(at('sandbox', 'assisted', test_), 'allow:allowed');
  assert.equal(at('preview', 'assisted', write), 'ask:autonomy_level', 'outside the sandbox an assisted agent acts with approval');
  assert.equal(at('staging', 'assisted', test_), 'ask:autonomy_level', 'so in an environment the customer named, too');
  assert.equal(at('preview', 'autonomous', write), 'allow:allowed');
  assert.equal(at('preview', 'autonomous', test_), 'allow:allowed');
});

test('the environment’s definition, not its name, says from which level an agent acts alone', () => {
  const sandbox = DEFAULT_ENVIRONMENTS[0];
  const strictSandbox = { ...policyFor(sandbox), actAloneFrom: 'autonomous' as const, autonomy: 'assisted' as const };
  assert.deepEqual(decidePolicy(write, strictSandbox), { decision: 'ask', reason: 'autonomy_level' });
  const lenientPreview = { ...policyFor(DEFAULT_ENVIRONMENTS[1]), actAloneFrom: 'assisted' as const, autonomy: 'assisted' as const };
  assert.deepEqual(decidePolicy(write, lenientPreview), { decision: 'allow', reason: 'allowed' });
});

test('no level makes a consequential action or a production write happen without a person', () => {
  for (const level of ['assisted', 'autonomous'] as const) {
    for (const env of ['sandbox', 'preview', 'production'])
      assert.equal(at(env, level, push), 'ask:consequential_action', `${env}/${level}`);
    assert.equal(at('production', level, write), 'ask:environment_policy', `production/${level}`);
  }
});

test('the network is asked about as network, whether it is the tool’s effect or a command’s consequence (git fetch, npm install)', () => {
  const autonomous = { ...policyFor(DEFAULT_ENVIRONMENTS[0]), autonomy: 'autonomous' as const };
  for (const action of [
    { effect: 'network', consequences: [], runsRepositoryCode: false, sandbox: 'bwrap' },
    { effect: 'vcs', consequences: ['network'], runsRepositoryCode: false, sandbox: 'bwrap' },
    { effect: 'exec', consequences: ['network'], runsRepositoryCode: true, sandbox: 'bwrap' },
  ] satisfies PolicyAction[])
    assert.deepEqual(decidePolicy(action, autonomous), { decision: 'ask', reason: 'network_not_allowed' }, JSON.stringify(action));
});

test('repository code where no sandbox exists is asked about at every level, even where the agent acts alone; a plain command is not', () => {
  const unsandboxed: PolicyAction = { ...test_, sandbox: 'none' };
  for (const [env, level] of [
    ['sandbox', 'assisted'],
    ['preview', 'autonomous'],
  ] as const)
    assert.equal(at(env, level, unsandboxed), 'ask:sandbox_unavailable', `${env}/${level}`);
  assert.equal(at('sandbox', 'assisted', { ...unsandboxed, runsRepositoryCode: false }), 'allow:allowed');
});

test('the default policy, which the gate tests and the bench run under, is the shipped sandbox environment at the assisted level', () => {
  assert.deepEqual(DEFAULT_POLICY, { ...policyFor(DEFAULT_ENVIRONMENTS[0]), autonomy: 'assisted' });
});
