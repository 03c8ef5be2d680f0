import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentError } from '../../../agents/types.ts';
import { EnrollmentError } from '../../../customer-plane/enroll.ts';
import { PathRejectedError } from '../../../customer-plane/workspace/workspace.ts';
import { BatchRejected } from '../../../control-plane/telemetry/verify-batch.ts';
import { AgentplaneError, AppError, BadRequestError, ConfigError, ERROR_CODE_RE, NotFoundError } from '../../../shared/errors.ts';
import { SignatureError } from '../../../shared/signing.ts';
import { PermanentError, RetryableError, WorkerError, isPermanent } from '../../../shared/worker-errors.ts';
import { BundleFileError, BundleKeyError, BundleVerifyError } from '../../../terraform/bundle/errors.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('every error class we throw is an AgentplaneError with a stable lower-case code and keeps its cause', () => {
  const cause = new Error('underlying');
  const samples: AgentplaneError[] = [
    new AppError('teapot', 418, 'm', { cause }),
    new BadRequestError('m'),
    new NotFoundError('m'),
    new ConfigError('svc', ['missing: X']),
    new RetryableError('store_failed', 'm', { cause }),
    new PermanentError('malformed_dispatch', 'm'),
    new BatchRejected('replayed_seq', 'm', cause),
    new SignatureError('bad_signature', 'm', cause),
    new EnrollmentError('tenant_mismatch', 'm'),
    new PathRejectedError('path_invalid', 'm'),
    new AgentError('agent_error', 'm'),
    new BundleKeyError('m'),
    new BundleFileError('m'),
    new BundleVerifyError('m'),
  ];
  for (const err of samples) {
    assert.ok(err instanceof AgentplaneError, `${err.name} descends from AgentplaneError`);
    assert.match(err.code, ERROR_CODE_RE, `${err.name}: code ${err.code}`);
    assert.equal(err.name, err.constructor.name, 'the name says which class it is');
  }
  assert.equal(samples[0].cause, cause);
  assert.equal(new AppError('x', 400, 'm').cause, undefined, 'no cause property invented');
});

test('HTTP errors add a status; worker errors say whether they are retryable', () => {
  assert.equal(new BadRequestError('m').status, 400);
  assert.equal(new NotFoundError('m').status, 404);
  assert.equal(new RetryableError('c', 'm').retryable, true);
  assert.equal(new PermanentError('c', 'm').retryable, false);
  assert.ok(new BatchRejected('bad_subject', 'm') instanceof WorkerError);
  assert.equal(isPermanent(new BatchRejected('bad_subject', 'm')), true);
  assert.equal(isPermanent(new Error('a bug')), false, 'anything unknown is retried, never dropped');
});

/** Shipped TypeScript files (not tests, not benches), relative to the repository root. */
function shippedSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push(relative(ROOT, full));
    }
  };
  for (const top of ['shared', 'control-plane', 'customer-plane', 'agents', 'terraform', 'scripts']) walk(join(ROOT, top));
  return out;
}

// The root itself; and shared/llm/, which keeps its provider-shaped errors while it is restructured
// (issue 12, item 1).
const OWN_CONVENTION = ['shared/errors.ts', 'shared/llm/'];

test('no error class in shipped code starts a hierarchy of its own outside the root', () => {
  const offenders = shippedSources()
    .filter((file) => !OWN_CONVENTION.some((dir) => file.startsWith(dir)))
    .filter((file) => /class \w+ extends Error\b/.test(readFileSync(join(ROOT, file), 'utf8')));
  assert.deepEqual(offenders, [], 'extend AgentplaneError (shared/errors.ts) instead');
});

test('failures are recognised by type or code, never by a regular expression over the stringified error', () => {
  const offenders = shippedSources().filter((file) =>
    /\.test\(\s*String\(\s*(err|error|e)\s*\)\s*\)|String\(\s*(err|error|e)\s*\)\.(match|includes)\(/.test(
      readFileSync(join(ROOT, file), 'utf8'),
    ),
  );
  assert.deepEqual(offenders, []);
});
