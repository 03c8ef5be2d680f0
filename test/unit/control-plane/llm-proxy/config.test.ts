import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llmProxyEnvSchema } from '../../../../control-plane/llm-proxy/config.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { ConfigError } from '../../../../shared/errors.ts';

test('no provider key is a valid configuration (routed mode off) and the defaults point at the real providers', () => {
  const env = loadConfig('control-plane', llmProxyEnvSchema, {});
  assert.equal(env.OPENAI_API_KEY, undefined);
  assert.equal(env.ANTHROPIC_API_KEY, undefined);
  assert.equal(env.OPENAI_BASE_URL, 'https://api.openai.com/v1');
  assert.equal(env.ANTHROPIC_BASE_URL, 'https://api.anthropic.com');
  assert.equal(env.LLM_OPENAI_TRANSPORT, 'passthrough');
  assert.equal(env.REDIS_URL, undefined);
});

test('numeric limits are read as integers within their bounds', () => {
  const env = loadConfig('control-plane', llmProxyEnvSchema, { LLM_RATE_LIMIT_RPM: '60', LLM_TIMEOUT_MS: '1500' });
  assert.equal(env.LLM_RATE_LIMIT_RPM, 60);
  assert.equal(env.LLM_TIMEOUT_MS, 1500);
});

test('every malformed proxy variable is named in one message', () => {
  assert.throws(
    () =>
      loadConfig('control-plane', llmProxyEnvSchema, {
        OPENAI_BASE_URL: 'api.openai.com',
        LLM_OPENAI_TRANSPORT: 'carrier-pigeon',
        LLM_RATE_LIMIT_RPM: '0',
        LLM_TIMEOUT_MS: '10',
        LLM_BREAKER_CONSECUTIVE_FAILURES: '2.5',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of [
        'OPENAI_BASE_URL',
        'LLM_OPENAI_TRANSPORT',
        'LLM_RATE_LIMIT_RPM',
        'LLM_TIMEOUT_MS',
        'LLM_BREAKER_CONSECUTIVE_FAILURES',
      ]) {
        assert.match(err.message, new RegExp(`${name} \\(`), name);
      }
      return true;
    },
  );
});
