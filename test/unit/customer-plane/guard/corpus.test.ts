import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import { REFUSAL_CODES } from '../../../../shared/boundary.ts';
import { codingAgentPolicy, loadCorpus, permissivePolicy } from '../../../support/command-corpus.ts';

const guard = await createCommandGuard();

test('every dangerous corpus command is refused with a listed reason code, even for an agent that lists every program', () => {
  const dangerous = loadCorpus('dangerous.txt');
  assert.ok(dangerous.length >= 300, `the dangerous corpus has ${dangerous.length} commands; at least 300 expected`);
  const allowed: string[] = [];
  const byReason = new Map<string, number>();
  for (const { command, line } of dangerous) {
    for (const policy of [permissivePolicy, codingAgentPolicy]) {
      const verdict = guard.check(command, policy);
      if (verdict.ok) {
        allowed.push(`line ${line}: ${JSON.stringify(command)}`);
        continue;
      }
      assert.ok((REFUSAL_CODES as readonly string[]).includes(verdict.reason), verdict.reason);
      assert.notEqual(verdict.reason, 'allowed');
      if (policy === permissivePolicy) byReason.set(verdict.reason, (byReason.get(verdict.reason) ?? 0) + 1);
    }
  }
  console.log(`dangerous corpus: ${dangerous.length} commands, ${allowed.length} allowed`);
  console.log(`  refusals by reason: ${[...byReason].map(([r, n]) => `${r} ${n}`).join(', ')}`);
  assert.deepEqual(allowed, []);
});

test('every benign corpus command a coding agent needs is allowed', () => {
  const benign = loadCorpus('benign.txt');
  assert.ok(benign.length >= 150, `the benign corpus has ${benign.length} commands; at least 150 expected`);
  const refused: string[] = [];
  for (const { command, line } of benign) {
    const verdict = guard.check(command, codingAgentPolicy);
    if (!verdict.ok) refused.push(`line ${line}: ${JSON.stringify(command)} → ${verdict.reason} (${verdict.detail})`);
  }
  console.log(`benign corpus: ${benign.length} commands, ${refused.length} refused`);
  assert.deepEqual(refused, []);
});

test('consequential commands are allowed only with their consequence attached, so the gate asks a person', () => {
  const entries = loadCorpus('consequential.txt');
  for (const { command: line } of entries) {
    const [command, expected] = line.split('\t') as [string, string];
    const verdict = guard.check(command, codingAgentPolicy);
    assert.ok(verdict.ok, `${command} should be allowed with a consequence`);
    for (const c of expected.split(',')) assert.ok(verdict.command.consequences.includes(c as never), `${command} must carry ${c}`);
  }
});
