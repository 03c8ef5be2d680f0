import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextActions, type SchedStep, templateProblems } from '../../../../customer-plane/runner/scheduler.ts';

const step = (key: string, needs: string[], state: SchedStep['state'] = 'pending', writer = false): SchedStep => ({
  key,
  needs,
  writer,
  state,
});

test('steps whose inputs are ready start together, up to the bound, in template order', () => {
  const steps = [step('index', [], 'succeeded'), step('a', ['index']), step('b', ['index']), step('c', ['index']), step('d', ['a'])];
  assert.deepEqual(nextActions(steps, 2), { skip: [], start: ['a', 'b'] });
  assert.deepEqual(nextActions(steps, 5), { skip: [], start: ['a', 'b', 'c'] });
});

test('a step that can change the workspace runs alone: it waits for running readers, and nothing starts beside it', () => {
  assert.deepEqual(nextActions([step('r', [], 'running'), step('w', [], 'pending', true), step('r2', [])], 4).start, []);
  assert.deepEqual(nextActions([step('w', [], 'pending', true), step('r2', [])], 4).start, ['w']);
  assert.deepEqual(nextActions([step('w', [], 'running', true), step('r2', [])], 4).start, []);
  assert.deepEqual(
    nextActions([step('r1', []), step('w', [], 'pending', true)], 4).start,
    ['r1'],
    'readers first, the writer then waits for them',
  );
});

test('a failed step makes its dependents skipped, transitively; independent steps still run', () => {
  const steps = [step('a', [], 'failed'), step('b', ['a']), step('c', ['b']), step('d', [])];
  assert.deepEqual(nextActions(steps, 4), { skip: ['b', 'c'], start: ['d'] });
});

test('templates with duplicate ids, unknown needs or cycles are found before anything runs', () => {
  assert.deepEqual(
    templateProblems([
      { key: 'a', needs: [] },
      { key: 'a', needs: [] },
    ]),
    ['duplicate step id a'],
  );
  assert.deepEqual(templateProblems([{ key: 'a', needs: ['zz'] }]), ['step a needs unknown step zz']);
  assert.deepEqual(
    templateProblems([
      { key: 'a', needs: ['b'] },
      { key: 'b', needs: ['a'] },
    ]),
    ['the steps form a cycle'],
  );
  assert.deepEqual(
    templateProblems([
      { key: 'a', needs: [] },
      { key: 'b', needs: ['a'] },
    ]),
    [],
  );
});
