import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOutcome,
  ceilingOf,
  effectiveLevel,
  initialStanding,
  type Outcome,
  type Standing,
  successRate,
} from '../../../../customer-plane/memory/autonomy.ts';
import type { AutonomyThresholds } from '../../../../customer-plane/memory/config.ts';
import { AUTONOMY_LEVELS, type AutonomyLevel } from '../../../../customer-plane/gate/policy.ts';

/**
 * The autonomy rules at their edges: one outcome short of a threshold moves nothing, the threshold itself
 * moves exactly one level, and what a move resets. autonomy.test.ts tells the story; this file pins the
 * comparisons a changed `>=` or a dropped check would get wrong.
 */

const T: AutonomyThresholds = {
  initial: 'assisted',
  promoteAfter: 4,
  promoteMinSuccessRate: 0.8,
  demoteAfterFailures: 3,
  demoteAfterOverrides: 2,
};

const at = (level: AutonomyLevel, counts: Partial<Standing> = {}): Standing => ({ ...initialStanding('preview', T), level, ...counts });

function play(s: Standing, outcomes: Outcome[], environment = 'preview', t = T) {
  const changes = [];
  for (const o of outcomes) {
    const r = applyOutcome(s, o, environment, t);
    s = r.standing;
    if (r.change) changes.push(r.change);
  }
  return { standing: s, changes };
}

const times = (n: number, o: Outcome): Outcome[] => Array(n).fill(o);

test('the ceiling: production stops at assisted, every other environment (a name that only looks like it included) at autonomous', () => {
  assert.equal(ceilingOf('production'), 'assisted');
  for (const env of ['sandbox', 'preview', 'Production', 'production-eu', ''])
    assert.equal(ceilingOf(env), 'autonomous', JSON.stringify(env));
  for (const level of AUTONOMY_LEVELS) {
    assert.equal(effectiveLevel(level, 'preview'), level, `${level} is kept below the ceiling`);
    assert.equal(effectiveLevel(level, 'production'), level === 'autonomous' ? 'assisted' : level, `${level} in production`);
  }
});

test('a new standing starts at the configured level (capped) with every count at zero', () => {
  for (const initial of AUTONOMY_LEVELS)
    assert.deepEqual(initialStanding('sandbox', { ...T, initial }), {
      level: initial,
      successes: 0,
      failures: 0,
      overrides: 0,
      consecutiveSuccesses: 0,
      consecutiveFailures: 0,
      overridesSinceChange: 0,
    });
  assert.equal(initialStanding('production', { ...T, initial: 'observe' }).level, 'observe', 'the cap only lowers');
});

test('the success rate is successes over counted steps, and 1 before anything was counted', () => {
  assert.equal(successRate({ successes: 0, failures: 0 }), 1);
  assert.equal(successRate({ successes: 3, failures: 1 }), 0.75);
  assert.equal(successRate({ successes: 1, failures: 3 }), 0.25);
  assert.equal(successRate({ successes: 0, failures: 2 }), 0);
});

test('promotion comes at exactly promoteAfter successes in a row, one level, and resets the runs in a row', () => {
  const short = play(at('assisted'), times(T.promoteAfter - 1, 'success'));
  assert.equal(short.standing.level, 'assisted', 'one success short: no promotion');
  assert.deepEqual(short.changes, []);
  const r = applyOutcome(short.standing, 'success', 'preview', T);
  assert.deepEqual(r.change, { from: 'assisted', to: 'autonomous', reason: 'promoted' });
  assert.deepEqual(r.standing, {
    level: 'autonomous',
    successes: T.promoteAfter,
    failures: 0,
    overrides: 0,
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    overridesSinceChange: 0,
  });
  assert.deepEqual(short.standing.level, 'assisted', 'the standing passed in is not changed');
});

test('promotion needs the success rate at least at its minimum: exactly the minimum promotes, just under does not', () => {
  // 4 in a row after 1 failure: 4 of 5 = 0.8, the minimum.
  const exactly = play(at('assisted', { successes: 0, failures: 1 }), times(4, 'success'));
  assert.deepEqual(exactly.changes, [{ from: 'assisted', to: 'autonomous', reason: 'promoted' }]);
  // 4 in a row after 2 failures: 4 of 6 < 0.8; up to the seventh (7 of 9) still not; the eighth (8 of 10) does.
  const under = play(at('assisted', { successes: 0, failures: 2 }), times(7, 'success'));
  assert.deepEqual(under.changes, []);
  assert.equal(under.standing.consecutiveSuccesses, 7, 'the run in a row keeps growing while the rate is too low');
  assert.deepEqual(play(under.standing, ['success']).changes, [{ from: 'assisted', to: 'autonomous', reason: 'promoted' }]);
});

test('levels never skip: from observe, twice the successes needed give assisted, then autonomous, one change each', () => {
  const r = play(at('observe'), times(2 * T.promoteAfter, 'success'));
  assert.deepEqual(r.changes, [
    { from: 'observe', to: 'assisted', reason: 'promoted' },
    { from: 'assisted', to: 'autonomous', reason: 'promoted' },
  ]);
  const down = play(at('autonomous'), times(2 * T.demoteAfterFailures, 'failure'));
  assert.deepEqual(down.changes, [
    { from: 'autonomous', to: 'assisted', reason: 'demoted_failures' },
    { from: 'assisted', to: 'observe', reason: 'demoted_failures' },
  ]);
});

test('at the top and the bottom nothing moves: more successes keep autonomous, more failures and overrides keep observe', () => {
  const top = play(at('autonomous'), times(3 * T.promoteAfter, 'success'));
  assert.equal(top.standing.level, 'autonomous');
  assert.deepEqual(top.changes, []);
  assert.equal(top.standing.consecutiveSuccesses, 3 * T.promoteAfter);
  const bottom = play(at('observe'), [...times(3 * T.demoteAfterFailures, 'failure'), ...times(3 * T.demoteAfterOverrides, 'override')]);
  assert.equal(bottom.standing.level, 'observe');
  assert.deepEqual(bottom.changes, []);
  assert.equal(bottom.standing.failures, 3 * T.demoteAfterFailures);
  assert.equal(bottom.standing.overrides, 3 * T.demoteAfterOverrides);
});

test('production: observe is promoted to assisted, never further, however long the record', () => {
  const r = play({ ...initialStanding('production', T), level: 'observe' }, times(5 * T.promoteAfter, 'success'), 'production');
  assert.deepEqual(r.changes, [{ from: 'observe', to: 'assisted', reason: 'promoted' }]);
  assert.equal(r.standing.level, 'assisted');
  const stored = applyOutcome({ ...initialStanding('production', T), level: 'autonomous' }, 'success', 'production', T);
  assert.equal(stored.standing.level, 'assisted', 'a stored autonomous is read as assisted');
  assert.equal(stored.change, undefined);
});

test('demotion comes at exactly demoteAfterFailures failures in a row; a success in between starts the count again', () => {
  const short = play(at('autonomous'), times(T.demoteAfterFailures - 1, 'failure'));
  assert.deepEqual(short.changes, []);
  assert.equal(short.standing.consecutiveFailures, T.demoteAfterFailures - 1);
  const r = applyOutcome(short.standing, 'failure', 'preview', T);
  assert.deepEqual(r.change, { from: 'autonomous', to: 'assisted', reason: 'demoted_failures' });
  assert.deepEqual(r.standing, {
    level: 'assisted',
    successes: 0,
    failures: T.demoteAfterFailures,
    overrides: 0,
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    overridesSinceChange: 0,
  });
  const broken = play(at('autonomous'), [
    ...times(T.demoteAfterFailures - 1, 'failure'),
    'success',
    ...times(T.demoteAfterFailures - 1, 'failure'),
  ]);
  assert.deepEqual(broken.changes, []);
  assert.equal(broken.standing.consecutiveSuccesses, 0, 'a failure ends the run of successes');
});

test('overrides demote at exactly demoteAfterOverrides since the last change, break a run of successes, and are not failures', () => {
  const one = play(at('autonomous', { consecutiveSuccesses: 2 }), ['override']);
  assert.deepEqual(one.changes, []);
  assert.deepEqual(
    { ...one.standing, level: undefined },
    { ...at('autonomous'), level: undefined, overrides: 1, overridesSinceChange: 1, consecutiveSuccesses: 0 },
  );
  const r = applyOutcome(one.standing, 'override', 'preview', T);
  assert.deepEqual(r.change, { from: 'autonomous', to: 'assisted', reason: 'demoted_overrides' });
  assert.equal(r.standing.overridesSinceChange, 0);
  // A level change by failures starts the override count again: one override before it and one after do not demote.
  const mixed = play(at('autonomous'), ['override', ...times(T.demoteAfterFailures, 'failure'), 'override']);
  assert.deepEqual(mixed.changes, [{ from: 'autonomous', to: 'assisted', reason: 'demoted_failures' }]);
  assert.equal(mixed.standing.overridesSinceChange, 1);
});

test('a neutral outcome changes nothing at all, and every other outcome touches only its own counts', () => {
  const s = at('assisted', {
    successes: 5,
    failures: 2,
    overrides: 1,
    consecutiveSuccesses: 2,
    consecutiveFailures: 0,
    overridesSinceChange: 1,
  });
  assert.deepEqual(applyOutcome(s, 'neutral', 'preview', T), { standing: s });
  assert.deepEqual(applyOutcome(s, 'success', 'preview', T), {
    standing: { ...s, successes: 6, consecutiveSuccesses: 3 },
  });
  assert.deepEqual(applyOutcome({ ...s, consecutiveFailures: 1, consecutiveSuccesses: 0 }, 'success', 'preview', T).standing, {
    ...s,
    successes: 6,
    consecutiveSuccesses: 1,
    consecutiveFailures: 0,
  });
  assert.deepEqual(applyOutcome(s, 'failure', 'preview', T), {
    standing: { ...s, failures: 3, consecutiveFailures: 1, consecutiveSuccesses: 0 },
  });
});
