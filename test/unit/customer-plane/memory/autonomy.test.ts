import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOutcome,
  effectiveLevel,
  initialStanding,
  type Outcome,
  outcomeOfStep,
  type Standing,
} from '../../../../customer-plane/memory/autonomy.ts';
import type { AutonomyThresholds } from '../../../../customer-plane/memory/config.ts';
import { customerPlaneEnvSchema } from '../../../../customer-plane/config.ts';
import { memoryConfigOf } from '../../../../customer-plane/memory/config.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { ConfigError } from '../../../../shared/errors.ts';

const T: AutonomyThresholds = {
  initial: 'assisted',
  promoteAfter: 3,
  promoteMinSuccessRate: 0.75,
  demoteAfterFailures: 2,
  demoteAfterOverrides: 1,
};

function play(environment: string, outcomes: Outcome[], t = T, from?: Standing) {
  let s = from ?? initialStanding(environment, t);
  const levels: string[] = [];
  for (const o of outcomes) {
    s = applyOutcome(s, o, environment, t).standing;
    levels.push(s.level);
  }
  return { standing: s, levels };
}

test('an agent is promoted one level after the configured successes in a row, and only with the success rate the config asks for', () => {
  assert.deepEqual(play('preview', ['success', 'success', 'success']).levels, ['assisted', 'assisted', 'autonomous']);
  assert.deepEqual(
    play('preview', ['success', 'success', 'success', 'success', 'success', 'success']).levels.at(-1),
    'autonomous',
    'the top',
  );
  const observe = { ...T, initial: 'observe' as const };
  assert.deepEqual(play('sandbox', Array(6).fill('success'), observe).levels, [
    'observe',
    'observe',
    'assisted',
    'assisted',
    'assisted',
    'autonomous',
  ]);
  // 3 in a row, but 3 of 5 overall (0.6 < 0.75): not yet.
  const mixed = play('preview', ['success', 'failure', 'success', 'failure', 'success', 'success', 'success']);
  assert.equal(mixed.levels.at(-1), 'assisted');
  assert.equal(play('preview', ['success'], T, mixed.standing).levels.at(-1), 'autonomous', '4 in a row, 6 of 8');
});

test('failures in a row demote one level at a time down to observe; one success in between resets the count', () => {
  assert.deepEqual(play('sandbox', ['failure', 'failure']).levels, ['assisted', 'observe']);
  assert.deepEqual(play('sandbox', ['failure', 'success', 'failure']).levels, ['assisted', 'assisted', 'assisted']);
  assert.deepEqual(play('sandbox', ['failure', 'failure', 'failure', 'failure']).levels.at(-1), 'observe', 'never below observe');
});

test('a person’s override demotes at once (with the default of 1) and breaks a run of successes', () => {
  const up = play('preview', ['success', 'success', 'success']).standing;
  assert.equal(up.level, 'autonomous');
  assert.deepEqual(play('preview', ['override'], T, up).levels, ['assisted']);
  assert.deepEqual(play('preview', ['success', 'success', 'override', 'success']).levels, ['assisted', 'assisted', 'observe', 'observe']);
  const lenient = { ...T, demoteAfterOverrides: 2 };
  assert.deepEqual(play('preview', ['override', 'override'], lenient).levels, ['assisted', 'observe']);
});

test('production never goes past assisted: not by promotion, not by the configured start, not by a stored level', () => {
  assert.deepEqual(play('production', Array(9).fill('success')).levels.at(-1), 'assisted');
  assert.equal(initialStanding('production', { ...T, initial: 'autonomous' }).level, 'assisted');
  assert.equal(effectiveLevel('autonomous', 'production'), 'assisted');
  assert.equal(effectiveLevel('autonomous', 'preview'), 'autonomous');
  const stored: Standing = { ...initialStanding('production', T), level: 'autonomous' };
  assert.equal(applyOutcome(stored, 'neutral', 'production', T).standing.level, 'assisted');
});

test('only the agent’s own failures count against it: outages, unanswered or unapproved asks and refusals of its own level are neutral', () => {
  assert.equal(outcomeOfStep('succeeded', 'none', false), 'success');
  for (const code of [
    'invalid_output',
    'budget_exhausted',
    'agent_error',
    'invalid_tool_arguments',
    'path_rejected',
    'tool_denied',
  ] as const)
    assert.equal(outcomeOfStep('failed', code, false), 'failure', code);
  for (const code of [
    'llm_unavailable',
    'llm_rejected',
    'approval_timeout',
    'approval_rejected',
    'workspace_error',
    'delivery_exhausted',
    'internal',
  ] as const)
    assert.equal(outcomeOfStep('failed', code, false), 'neutral', code);
  assert.equal(outcomeOfStep('failed', 'tool_denied', true), 'neutral', 'denied because of its level: not held against it');
  assert.deepEqual(play('sandbox', ['neutral', 'neutral', 'neutral']).levels, ['assisted', 'assisted', 'assisted']);
});

const BASE = {
  TENANT_ID: '00000000-0000-4000-8000-0000000000aa',
  CONTROL_PLANE_URL: 'https://cp.example.com',
  DATABASE_URL: 'postgres://runner@db.internal:5432/agentplane',
};

test('the thresholds are configuration, checked at start: defaults, overrides, and every bad value named in one message', () => {
  const defaults = memoryConfigOf(loadConfig('customer-plane', customerPlaneEnvSchema, BASE));
  assert.deepEqual(defaults, {
    reuse: true,
    turnsMaxAgeDays: 30,
    autonomy: { initial: 'assisted', promoteAfter: 10, promoteMinSuccessRate: 0.9, demoteAfterFailures: 3, demoteAfterOverrides: 1 },
  });
  const set = memoryConfigOf(
    loadConfig('customer-plane', customerPlaneEnvSchema, {
      ...BASE,
      MEMORY_REUSE: 'false',
      AUTONOMY_INITIAL_LEVEL: 'observe',
      AUTONOMY_PROMOTE_AFTER: '25',
      AUTONOMY_PROMOTE_MIN_SUCCESS_RATE: '0.95',
      AUTONOMY_DEMOTE_AFTER_FAILURES: '5',
      AUTONOMY_DEMOTE_AFTER_OVERRIDES: '2',
    }),
  );
  assert.deepEqual(set.autonomy, {
    initial: 'observe',
    promoteAfter: 25,
    promoteMinSuccessRate: 0.95,
    demoteAfterFailures: 5,
    demoteAfterOverrides: 2,
  });
  assert.equal(set.reuse, false);
  try {
    loadConfig('customer-plane', customerPlaneEnvSchema, {
      ...BASE,
      AUTONOMY_INITIAL_LEVEL: 'godmode',
      AUTONOMY_PROMOTE_AFTER: '0',
      AUTONOMY_PROMOTE_MIN_SUCCESS_RATE: '1.5',
      AUTONOMY_DEMOTE_AFTER_FAILURES: 'three',
      MEMORY_REUSE: 'maybe',
    });
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const name of [
      'AUTONOMY_INITIAL_LEVEL',
      'AUTONOMY_PROMOTE_AFTER',
      'AUTONOMY_PROMOTE_MIN_SUCCESS_RATE',
      'AUTONOMY_DEMOTE_AFTER_FAILURES',
      'MEMORY_REUSE',
    ])
      assert.match(err.message, new RegExp(`invalid: .*${name}`), name);
  }
});
