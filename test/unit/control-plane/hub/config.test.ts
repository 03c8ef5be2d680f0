import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafUsername, renderHubAccounts, renderHubConfig, tenantAccount } from '../../../../control-plane/hub/config.ts';
import { parseNatsConf } from '../../../support/nats-conf.ts';

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

// The parsed config, entry by entry: an export or import widened, dropped or pointed at another
// account, or a listener added, changes one of these structures.
test('the parsed accounts: a refused account for anonymous logins, the control account importing each tenant’s up subjects and exporting each tenant’s down subjects to that tenant alone, and one account per tenant', () => {
  const conf = parseNatsConf(
    renderHubAccounts({
      controlPlaneUser: 'cp',
      controlPlanePasswordBcrypt: '$2a$10$abc',
      tenants: [
        { tenant: A, username: `leaf-${A}`, passwordBcrypt: '$2a$10$x' },
        { tenant: B, username: `leaf-${B}`, passwordBcrypt: '$2a$10$y' },
      ],
    }),
  ) as any;
  assert.deepEqual(Object.keys(conf), ['no_auth_user', 'accounts']);
  assert.equal(conf.no_auth_user, 'anonymous-refused');
  assert.deepEqual(Object.keys(conf.accounts), ['REFUSED', 'CONTROL', `TENANT-${A}`, `TENANT-${B}`]);
  assert.deepEqual(conf.accounts.REFUSED, {
    users: [{ user: 'anonymous-refused', password: `$2a$10$${'0'.repeat(53)}`, allowed_connection_types: ['MQTT'] }],
  });
  assert.deepEqual(conf.accounts.CONTROL, {
    jetstream: 'enabled',
    users: [{ user: 'cp', password: '$2a$10$abc' }],
    imports: [
      { stream: { account: `TENANT-${A}`, subject: `ap.up.${A}.>` } },
      { stream: { account: `TENANT-${B}`, subject: `ap.up.${B}.>` } },
    ],
    exports: [
      { stream: `ap.down.${A}.>`, accounts: [`TENANT-${A}`] },
      { stream: `ap.down.${B}.>`, accounts: [`TENANT-${B}`] },
    ],
  });
  for (const [tenant, hash] of [
    [A, '$2a$10$x'],
    [B, '$2a$10$y'],
  ]) {
    assert.deepEqual(conf.accounts[`TENANT-${tenant}`], {
      users: [{ user: `leaf-${tenant}`, password: hash, allowed_connection_types: ['LEAFNODE'] }],
      exports: [{ stream: `ap.up.${tenant}.>`, accounts: ['CONTROL'] }],
      imports: [{ stream: { account: 'CONTROL', subject: `ap.down.${tenant}.>` } }],
    });
  }
  assert.equal(tenantAccount(A), `TENANT-${A}`);
  assert.equal(leafUsername(A), `leaf-${A}`);
});

test('without tenants the control account imports and exports nothing', () => {
  const conf = parseNatsConf(renderHubAccounts({ controlPlaneUser: 'cp', controlPlanePasswordBcrypt: 'h', tenants: [] })) as any;
  assert.deepEqual(Object.keys(conf.accounts), ['REFUSED', 'CONTROL']);
  assert.deepEqual(conf.accounts.CONTROL.imports, []);
  assert.deepEqual(conf.accounts.CONTROL.exports, []);
});

test('the parsed server config: loopback listeners by default, a 1 MiB payload cap, JetStream in the hub domain, no monitor unless asked, and the accounts file included', () => {
  const conf = parseNatsConf(renderHubConfig({ clientPort: 4222, leafPort: 7422, storeDir: '/s', pidFile: '/p' })) as any;
  assert.deepEqual(conf, {
    server_name: 'agentplane-hub',
    listen: '127.0.0.1:4222',
    pid_file: '/p',
    max_payload: 1048576,
    jetstream: { store_dir: '/s', domain: 'hub' },
    leafnodes: { listen: '127.0.0.1:7422' },
    include: 'accounts.conf',
  });
  const placed = parseNatsConf(
    renderHubConfig({
      serverName: 'hub-1',
      clientHost: '10.0.0.5',
      clientPort: 4222,
      leafHost: '0.0.0.0',
      leafPort: 7422,
      monitorPort: 8222,
      storeDir: '/s',
      pidFile: '/p',
      leafTls: { certFile: '/c', keyFile: '/k' },
    }),
  ) as any;
  assert.equal(placed.server_name, 'hub-1');
  assert.equal(placed.listen, '10.0.0.5:4222');
  assert.equal(placed.http, '127.0.0.1:8222', 'the monitor is on loopback even when the listeners are not');
  assert.deepEqual(placed.leafnodes, { listen: '0.0.0.0:7422', tls: { cert_file: '/c', key_file: '/k', timeout: 5 } });
});
