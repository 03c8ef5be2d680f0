import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../../../agents/templates/index.ts';
import { validateTemplate } from '../../../../agents/templates/validate.ts';
import type { WorkflowTemplate } from '../../../../agents/types.ts';
import { TEMPLATES } from '../../../../shared/boundary.ts';

test('every template of the boundary list is defined under its own name', () => {
  assert.deepEqual(Object.keys(TEMPLATE_DEFINITIONS).sort(), [...TEMPLATES].sort());
  for (const [name, t] of Object.entries(TEMPLATE_DEFINITIONS)) assert.equal(t.name, name);
});

test('every template is a DAG over catalog agents: unique step ids, known needs, no cycles', () => {
  for (const [name, t] of Object.entries(TEMPLATE_DEFINITIONS)) {
    const { problems, order } = validateTemplate(t, CATALOG);
    assert.deepEqual(problems, [], name);
    assert.equal(order.length, t.steps.length, name);
  }
});

test('the validator refuses a cycle, an unknown step, a duplicate id and an unknown agent', () => {
  const bad: WorkflowTemplate = {
    name: 'code-review',
    description: 'broken on purpose',
    steps: [
      { id: 'a', agent: 'indexer', needs: ['b'] },
      { id: 'b', agent: 'reviewer', needs: ['a'] },
      { id: 'c', agent: 'nope' as never, needs: ['missing'] },
      { id: 'c', agent: 'indexer', needs: [] },
    ],
  };
  const { problems } = validateTemplate(bad, CATALOG);
  assert.ok(
    problems.some((p) => p.includes('cycle') && p.includes('a') && p.includes('b')),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => p.includes('unknown step missing')));
  assert.ok(problems.some((p) => p.includes('used twice')));
  assert.ok(problems.some((p) => p.includes('not in the catalog')));
});

test('scanners in a template are independent steps, so they run in parallel', () => {
  const scanners = new Set([
    'secret-scanner',
    'injection-scanner',
    'dependency-auditor',
    'config-auditor',
    'license-checker',
    'lint-runner',
    'complexity-analyzer',
    'dead-code-finder',
  ]);
  for (const t of Object.values(TEMPLATE_DEFINITIONS)) {
    for (const s of t.steps.filter((x) => scanners.has(x.agent)))
      assert.deepEqual(s.needs, [], `${t.name}/${s.id} waits for ${s.needs.join(', ')}`);
  }
});

test('LLM fixers and diagnosers consume the findings of the deterministic steps before them', () => {
  const stepAgent = (t: WorkflowTemplate, id: string) => CATALOG[t.steps.find((s) => s.id === id)!.agent];
  for (const t of Object.values(TEMPLATE_DEFINITIONS)) {
    for (const s of t.steps) {
      if (!['fixer', 'bug-diagnoser', 'security-reviewer', 'reviewer', 'refactorer', 'dependency-upgrader'].includes(s.agent)) continue;
      assert.ok(
        s.needs.some((n) => stepAgent(t, n).kind === 'deterministic'),
        `${t.name}/${s.id} (${s.agent}) needs no deterministic step`,
      );
    }
  }
});

test('a patch is applied only after the step that proposed it, and changes are verified or summarized after the apply', () => {
  for (const t of Object.values(TEMPLATE_DEFINITIONS)) {
    const apply = t.steps.find((s) => s.agent === 'patch-applier');
    if (!apply) continue;
    assert.ok(apply.needs.length > 0 && apply.needs.every((n) => CATALOG[t.steps.find((s) => s.id === n)!.agent].kind === 'llm'), t.name);
    assert.ok(
      t.steps.some((s) => s.needs.includes(apply.id) && (s.agent === 'test-runner' || s.agent === 'change-summarizer')),
      t.name,
    );
  }
});
