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

test('fan-in: a step that needs several starts only when every one of them succeeded', () => {
  const steps = (b: SchedStep['state']) => [step('a', [], 'succeeded'), step('b', [], b), step('join', ['a', 'b'])];
  assert.deepEqual(nextActions(steps('running'), 4), { skip: [], start: [] });
  assert.deepEqual(nextActions(steps('pending'), 4), { skip: [], start: ['b'] });
  assert.deepEqual(nextActions(steps('succeeded'), 4), { skip: [], start: ['join'] });
  assert.deepEqual(nextActions(steps('failed'), 4), { skip: ['join'], start: [] });
  assert.deepEqual(nextActions(steps('skipped'), 4), { skip: ['join'], start: [] });
});

test('skips cascade in one pass whatever the template order, and steps already decided are left alone', () => {
  // `late` comes first in the template but needs `mid`, which is skipped only because `root` failed.
  const steps = [
    step('late', ['mid']),
    step('mid', ['root']),
    step('root', [], 'failed'),
    step('done', ['root'], 'succeeded'),
    step('ran', [], 'running'),
    step('was', ['root'], 'skipped'),
  ];
  assert.deepEqual(nextActions(steps, 4), { skip: ['mid', 'late'], start: [] });
});

test('the bound counts running steps: no slot, no start; a skipped step takes no slot', () => {
  const ready = [step('r1', [], 'running'), step('r2', [], 'running'), step('a', []), step('b', [])];
  assert.deepEqual(nextActions(ready, 2).start, []);
  assert.deepEqual(nextActions(ready, 3).start, ['a']);
  assert.deepEqual(nextActions(ready, 1).start, []);
  assert.deepEqual(nextActions([step('f', [], 'failed'), step('x', ['f']), step('a', [])], 1), { skip: ['x'], start: ['a'] });
  assert.deepEqual(nextActions([step('a', [])], 0).start, []);
});

test('a writer ready after readers in template order waits for them; one first in order starts alone', () => {
  assert.deepEqual(nextActions([step('w', [], 'pending', true), step('r', [])], 1).start, ['w']);
  assert.deepEqual(nextActions([step('w', [], 'pending', true), step('w2', [], 'pending', true)], 4).start, ['w']);
  // A writer that is not ready yet does not hold back readers before or after it.
  assert.deepEqual(nextActions([step('x', [], 'running'), step('w', ['x'], 'pending', true), step('r', [])], 4).start, ['r']);
});

test('every problem of a template is named, and a diamond is not a cycle', () => {
  assert.deepEqual(
    templateProblems([
      { key: 'a', needs: ['b'] },
      { key: 'a', needs: [] },
      { key: 'c', needs: ['x', 'y'] },
    ]),
    ['duplicate step id a', 'step a needs unknown step b', 'step c needs unknown step x', 'step c needs unknown step y'],
  );
  assert.deepEqual(
    templateProblems([
      { key: 'd', needs: ['b', 'c'] },
      { key: 'b', needs: ['a'] },
      { key: 'c', needs: ['a'] },
      { key: 'a', needs: [] },
    ]),
    [],
  );
  // Part of the template on a cycle behind a step that is fine.
  assert.deepEqual(
    templateProblems([
      { key: 'a', needs: [] },
      { key: 'b', needs: ['a', 'c'] },
      { key: 'c', needs: ['b'] },
    ]),
    ['the steps form a cycle'],
  );
  assert.deepEqual(templateProblems([{ key: 'a', needs: ['a'] }]), ['the steps form a cycle']);
  assert.deepEqual(templateProblems([]), []);
});
