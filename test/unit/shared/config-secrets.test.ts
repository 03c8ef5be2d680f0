// "No secret has a default", for every secret of both services — the optional ones too (LLM keys, an
// enrollment or agent token, the hub password) — and for the URLs that may carry a password. The
// variables are read from the schemas themselves, so a secret added later is checked without a test edit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlPlaneEnvSchema } from '../../../control-plane/config.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';

const SECRET_NAME = /PASSWORD|TOKEN(?!_)|_KEYS?$|API_KEY|SECRET(?!S_)|PRIVATE/;
/** Connection strings: they may embed a password (postgres://user:pass@…, redis://:pass@…). */
const MAY_CARRY_CREDENTIALS = ['DATABASE_URL', 'REDIS_URL'];

const schemas = { 'control-plane': controlPlaneEnvSchema, 'customer-plane': customerPlaneEnvSchema } as const;

test('the secrets the walk finds are the ones we know of (so the name rule misses none)', () => {
  const found = Object.fromEntries(
    Object.entries(schemas).map(([service, schema]) => [service, Object.keys(schema.shape).filter((k) => SECRET_NAME.test(k))]),
  );
  assert.deepEqual(found, {
    'control-plane': ['CONTROL_PLANE_TOKEN_KEYS', 'HUB_NATS_PASSWORD', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'],
    // DATABASE_PASSWORD_SECRET names where the password is (an ARN), not the password; it has no default either.
    'customer-plane': ['ENROLL_TOKEN', 'DATABASE_PASSWORD_SECRET', 'AGENT_TOKEN', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'],
  });
});

test('no secret has a default, required or optional: left unset it is missing or absent, never a value', () => {
  let checked = 0;
  for (const [service, schema] of Object.entries(schemas)) {
    const shape = schema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
    for (const name of Object.keys(shape).filter((k) => SECRET_NAME.test(k) || MAY_CARRY_CREDENTIALS.includes(k))) {
      const r = shape[name].safeParse(undefined);
      if (r.success) assert.equal(r.data, undefined, `${service} ${name} has a default`);
      checked++;
    }
  }
  assert.ok(checked >= 10, `${checked} variables checked`);
});
