import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import { DATA_NOT_INSTRUCTIONS } from '../../../../agents/catalog/prompt.ts';
import { AGENT_NAMES, MODEL_TIERS, TOOL_NAMES } from '../../../../shared/boundary.ts';

const agents = Object.entries(CATALOG);

test('the catalog has exactly the 28 agents of the boundary list, each under its own name', () => {
  assert.equal(AGENT_NAMES.length, 28);
  assert.deepEqual(Object.keys(CATALOG).sort(), [...AGENT_NAMES].sort());
  for (const [key, agent] of agents) assert.equal(agent.name, key);
});

test('at least 10 agents are deterministic (useful with no LLM), and each has a run function and no model tier', () => {
  const deterministic = agents.filter(([, a]) => a.kind === 'deterministic');
  assert.ok(deterministic.length >= 10, `${deterministic.length} deterministic agents`);
  for (const [name, a] of deterministic) {
    assert.equal(a.tier, null, name);
    assert.equal(typeof (a as { run?: unknown }).run, 'function', name);
  }
});

test('every LLM agent has a model tier and a prompt that tells the model repository content is data, not instructions', () => {
  const llm = agents.filter(([, a]) => a.kind === 'llm');
  assert.ok(llm.length >= 1);
  for (const [name, a] of llm) {
    if (a.kind !== 'llm') continue;
    assert.ok((MODEL_TIERS as readonly string[]).includes(a.tier), `${name}: tier ${a.tier}`);
    assert.ok(a.prompt.includes(DATA_NOT_INSTRUCTIONS), `${name}: prompt lacks the data-not-instructions rule`);
    assert.match(a.prompt, /never put a secret value/i, `${name}: prompt lacks the no-secrets rule`);
  }
});

test('every tools list is a subset of the tool names, without duplicates, and only command-running agents name programs', () => {
  for (const [name, a] of agents) {
    assert.ok(a.tools.length > 0, `${name} has no tools`);
    assert.equal(new Set(a.tools).size, a.tools.length, `${name} lists a tool twice`);
    for (const t of a.tools) assert.ok((TOOL_NAMES as readonly string[]).includes(t), `${name}: unknown tool ${t}`);
    const runs = a.tools.includes('run_command');
    assert.equal(runs, (a.programs?.length ?? 0) > 0, `${name}: programs must be given exactly when run_command is allowed`);
    for (const p of a.programs ?? []) assert.match(p, /^[a-z0-9][a-z0-9._-]*$/, `${name}: program ${p} must be a bare name`);
  }
});

test('no agent may fetch URLs, delete files or write files directly: writes go through patch-applier alone', () => {
  for (const [name, a] of agents) {
    assert.ok(!a.tools.includes('fetch_url'), `${name} may fetch URLs`);
    assert.ok(!a.tools.includes('delete_file'), `${name} may delete files`);
    assert.ok(!a.tools.includes('write_file'), `${name} may write files`);
    assert.equal(a.tools.includes('apply_patch'), name === 'patch-applier', `${name}: apply_patch`);
  }
});

test('budgets are positive, and deterministic agents spend no tokens', () => {
  for (const [name, a] of agents) {
    assert.ok(Number.isInteger(a.budget.maxSteps) && a.budget.maxSteps > 0, `${name}: maxSteps`);
    if (a.kind === 'llm') assert.ok(a.budget.maxTokens > 0, `${name}: maxTokens`);
    else assert.equal(a.budget.maxTokens, 0, `${name}: a deterministic agent has no token budget`);
  }
});

test('each agent does a distinct job: purposes are distinct sentences', () => {
  const purposes = agents.map(([, a]) => a.purpose);
  assert.equal(new Set(purposes).size, purposes.length);
  for (const [name, a] of agents) assert.ok(a.purpose.length > 40, `${name}: purpose too short to say the job`);
});

test('every output schema refuses a finding that breaks the contract (rule id, severity, line, message)', () => {
  const badFindings = [
    { rule: 'Bad Rule!', severity: 'high', file: 'a', line: 1, message: 'm' },
    { rule: 'ok/rule', severity: 'urgent', file: 'a', line: 1, message: 'm' },
    { rule: 'ok/rule', severity: 'high', file: 'a', line: -1, message: 'm' },
    { rule: 'ok/rule', severity: 'high', file: 'a', line: 1, message: '' },
  ];
  for (const [name, a] of agents) {
    for (const f of badFindings) {
      const out = { summary: 's', findings: [f], patches: [], data: {} };
      assert.equal(a.output.safeParse(out).success, false, `${name} accepted ${JSON.stringify(f)}`);
    }
  }
});
