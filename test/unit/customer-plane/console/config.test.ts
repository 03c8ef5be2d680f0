import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customerPlaneEnvSchema } from '../../../../customer-plane/config.ts';
import { consoleBindScope } from '../../../../customer-plane/console/bind-address.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { ConfigError } from '../../../../shared/errors.ts';

const base = { TENANT_ID: '00000000-0000-4000-8000-000000000001', CONTROL_PLANE_URL: 'http://127.0.0.1:1' };

test('the console is off unless CONSOLE_PORT is set, and listens on 127.0.0.1 by default', () => {
  const env = customerPlaneEnvSchema.parse(base);
  assert.deepEqual(
    [env.CONSOLE_PORT, env.CONSOLE_HOST, env.CONSOLE_HOSTNAMES, env.CONSOLE_SESSION_IDLE_MINUTES, env.CONSOLE_SESSION_MAX_HOURS],
    [undefined, '127.0.0.1', [], 30, 8],
  );
});

test('the console binds to loopback, or a private-network address with TLS; never a wildcard, public address or host name', () => {
  for (const host of ['127.0.0.1', '127.9.9.9', '::1']) assert.deepEqual(consoleBindScope(host), { ok: true, scope: 'loopback' }, host);
  for (const host of ['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.10', 'fd12:3456::1'])
    assert.deepEqual(consoleBindScope(host), { ok: true, scope: 'private' }, host);
  for (const host of [
    '0.0.0.0',
    '::',
    '8.8.8.8',
    '172.32.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '2001:db8::1',
    'localhost',
    'console.internal',
    '',
  ])
    assert.equal(consoleBindScope(host).ok, false, host);

  const problems = (env: Record<string, string>) => {
    try {
      loadConfig('customer-plane', customerPlaneEnvSchema, { ...base, CONSOLE_PORT: '7480', ...env });
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };
  assert.deepEqual(problems({ CONSOLE_HOST: '0.0.0.0' }), [
    'invalid: CONSOLE_HOST (a loopback or private-network address (127.x, ::1, 10.x, 172.16-31.x, 192.168.x, fc00::/7); never a wildcard or public one)',
  ]);
  assert.match(problems({ CONSOLE_HOST: 'console.example.com' }).join(), /CONSOLE_HOST \(an IP address \(not a host name\)/);
  assert.deepEqual(problems({ CONSOLE_HOST: '10.0.0.5' }), [
    'missing required variable(s): CONSOLE_TLS_CERT_FILE (required when CONSOLE_HOST is not loopback: the console is served over HTTPS on a network)',
  ]);
  assert.deepEqual(problems({ CONSOLE_TLS_CERT_FILE: '/x/cert.pem' }), [
    'missing required variable(s): CONSOLE_TLS_KEY_FILE (required with the other CONSOLE_TLS_* file)',
  ]);
  assert.deepEqual(problems({ CONSOLE_HOST: '10.0.0.5', CONSOLE_TLS_CERT_FILE: '/x/c.pem', CONSOLE_TLS_KEY_FILE: '/x/k.pem' }), []);
  assert.deepEqual(problems({ CONSOLE_HOSTNAMES: 'console.internal, Ops.Example.COM' }), []);
  assert.match(problems({ CONSOLE_HOSTNAMES: 'evil.com/x' }).join(), /CONSOLE_HOSTNAMES/);
  assert.match(problems({ CONSOLE_SESSION_IDLE_MINUTES: '0' }).join(), /CONSOLE_SESSION_IDLE_MINUTES/);
});
