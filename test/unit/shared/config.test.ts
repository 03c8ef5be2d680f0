import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { EVEN_WITH_OTHER_PROBLEMS, flag, loadConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

test('loadConfig reports missing and invalid values together and treats blank values as missing', () => {
  const schema = z.object({ A: z.string(), B: z.string().url(), C: z.string().default('c') });
  assert.throws(
    () => loadConfig('svc', schema, { A: '', B: 'not a url' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'config_invalid');
      assert.match(err.message, /^svc: invalid configuration: /);
      assert.match(err.message, /missing required variable\(s\): A/);
      assert.match(err.message, /invalid: B/);
      return true;
    },
  );
  assert.deepEqual(loadConfig('svc', schema, { A: 'x', B: 'http://h' }), { A: 'x', B: 'http://h', C: 'c' });
});

test('a cross-field rule names its variable with the reason, in the same message as the single-field problems', () => {
  const schema = z.object({ MODE: z.enum(['a', 'b']), KEY: z.string().optional(), N: z.coerce.number() }).superRefine((env, ctx) => {
    if (env.MODE === 'b' && env.KEY === undefined) ctx.addIssue({ code: 'custom', path: ['KEY'], message: 'required with MODE=b' });
  }, EVEN_WITH_OTHER_PROBLEMS);
  assert.throws(
    () => loadConfig('svc', schema, { MODE: 'b', N: 'x' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /missing required variable\(s\): KEY \(required with MODE=b\)/);
      assert.match(err.message, /invalid: N/);
      return true;
    },
  );
});

test('flag() reads the usual spellings of yes and no', () => {
  const schema = z.object({ F: flag() });
  for (const yes of ['1', 'true', 'yes']) assert.equal(loadConfig('svc', schema, { F: yes }).F, true);
  for (const no of ['0', 'false', 'no']) assert.equal(loadConfig('svc', schema, { F: no }).F, false);
  assert.throws(() => loadConfig('svc', schema, { F: 'maybe' }), /invalid: F/);
});

test('a message names only the kinds of problem there are: invalid values alone are not reported as missing', () => {
  const schema = z.object({
    A: z
      .string()
      .min(3)
      .regex(/^[a-z]+$/),
    B: z.string().optional(),
  });
  assert.throws(
    () => loadConfig('svc', schema, { A: '1' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1, err.message);
      assert.match(err.problems[0], /^invalid: A \(.+\), A \(.+\)$/, 'each of its problems, under one heading');
      return true;
    },
  );
});

test('a rule that names no variable is still reported, under "?", rather than lost', () => {
  const schema = z.object({ A: z.string() }).refine((env) => env.A !== 'x', 'A may not be x');
  assert.throws(
    () => loadConfig('svc', schema, { A: 'x' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['missing required variable(s): ? (A may not be x)']);
      return true;
    },
  );
});
