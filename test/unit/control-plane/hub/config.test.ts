import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHubAccounts, renderHubConfig, tenantAccount } from '../../../../control-plane/hub/config.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

test("each tenant's leaf login is bound to its own account that exports only its up subjects and imports only its down subjects", () => {
  const text = renderHubAccounts({
    controlPlaneUser: 'cp',
    controlPlanePasswordBcrypt: '$2a$10$abc',
    tenants: [
      { tenant: A, username: `leaf-${A}`, passwordBcrypt: '$2a$10$x' },
      { tenant: B, username: `leaf-${B}`, passwordBcrypt: '$2a$10$y' },
    ],
  });
  assert.match(text, new RegExp(`${tenantAccount(A)}.*?allowed_connection_types: \\[\\s*"LEAFNODE"`, 's'));
  assert.match(text, new RegExp(`stream: "ap\\.up\\.${A}\\.>"`));
  assert.doesNotMatch(text, /stream: "ap\.up\.>"|stream: ">"|subject: ">"/, 'no wildcard export or import across tenants');
  assert.match(text, new RegExp(`subject: "ap\\.down\\.${B}\\.>"`));
});

test('the hub config listens for leaves but has no cluster or gateway listener, and includes the accounts file', () => {
  const text = renderHubConfig({ clientPort: 4222, leafPort: 7422, storeDir: '/s', pidFile: '/p' });
  assert.match(text, /leafnodes: \{\s*listen: "127\.0\.0\.1:7422"/);
  assert.doesNotMatch(text, /cluster|gateway/);
  assert.match(text, /include "accounts\.conf"/);
});

test('a value with quotes or newlines cannot break out of its place in the config', () => {
  const text = renderHubAccounts({ controlPlaneUser: 'cp"\n}\nauthorization {', controlPlanePasswordBcrypt: 'x', tenants: [] });
  assert.match(text, /user: "cp\\"\\n}\\nauthorization {"/);
});

test('a leaf or client without credentials is mapped to a user that may not connect as either', () => {
  const text = renderHubAccounts({ controlPlaneUser: 'cp', controlPlanePasswordBcrypt: '$2a$10$abc', tenants: [] });
  assert.match(text, /^no_auth_user: "anonymous-refused"$/m);
  assert.match(
    text,
    /REFUSED: \{\s*users: \[\s*\{\s*user: "anonymous-refused"\s*password: "\$2a\$10\$0{53}"\s*allowed_connection_types: \[\s*"MQTT"\s*\]/,
  );
});

test('with leaf TLS configured, the leafnode listener requires TLS', () => {
  const text = renderHubConfig({
    clientPort: 4222,
    leafPort: 7422,
    storeDir: '/s',
    pidFile: '/p',
    leafTls: { certFile: '/c', keyFile: '/k' },
  });
  assert.match(text, /leafnodes: \{\s*listen: "127\.0\.0\.1:7422"\s*tls: \{\s*cert_file: "\/c"\s*key_file: "\/k"/);
});
