import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderLeafConfig, supportsSyncAlways, type LeafConfigInput } from '../../../../customer-plane/leaf/config.ts';

const TENANT = '00000000-0000-4000-8000-0000000000aa';
const input = (serverVersion: string): LeafConfigInput => ({
  tenant: TENANT,
  clientPort: 4222,
  monitorPort: 8222,
  storeDir: '/jetstream',
  hubLeafUrl: 'tls://hub.example.com:7422',
  leafUser: `leaf-${TENANT}`,
  leafPassword: 'p',
  localUsers: { egress: { user: 'egress', password: 'e' }, runner: { user: 'runner', password: 'r' } },
  serverVersion,
});

test('a production leaf config for nats-server 2.10+ fsyncs every acknowledged write (sync_interval: always)', () => {
  for (const v of ['2.10.0', '2.10.22', '2.11.4', '3.0.0']) {
    assert.equal(supportsSyncAlways(v), true, v);
    assert.match(renderLeafConfig(input(v)), /sync_interval:\s*"?always"?/, v);
  }
});

test('for the Debian nats-server 2.9 used in tests the setting is left out (2.9 refuses unknown settings)', () => {
  for (const v of ['2.9.10', '2.9.25', '2.2.0']) {
    assert.equal(supportsSyncAlways(v), false, v);
    assert.doesNotMatch(renderLeafConfig(input(v)), /sync_interval/, v);
  }
});

test('the leaf listens on loopback only, with one outbound remote and no leafnode/cluster/gateway listener', () => {
  const conf = renderLeafConfig(input('2.10.22'));
  assert.match(conf, /listen:\s*"?127\.0\.0\.1:4222"?/);
  assert.match(conf, /http:\s*"?127\.0\.0\.1:8222"?/);
  assert.doesNotMatch(conf, /0\.0\.0\.0/);
  assert.doesNotMatch(conf, /\bcluster\b|\bgateway\b/);
  const leafBlock = conf.slice(conf.indexOf('leafnodes'));
  assert.doesNotMatch(leafBlock, /\blisten\b/, 'no leafnode listener');
  assert.equal((conf.match(/urls/g) ?? []).length, 1, 'exactly one remote');
  assert.match(leafBlock, /deny_exports/);
  assert.match(leafBlock, /deny_imports/);
  for (const denied of ['ap.local.>', '$JS.>', '$SYS.>']) assert.ok(leafBlock.includes(denied), denied);
});

test('a hub that is not on loopback must be reached over TLS: a plaintext URL to it renders no config', () => {
  for (const url of ['nats-leaf://hub.example.com:7422', 'nats://10.0.0.5:7422', 'nats-leaf://[2001:db8::1]:7422']) {
    assert.throws(() => renderLeafConfig({ ...input('2.10.0'), hubLeafUrl: url }), { code: 'leaf_link_plaintext' }, url);
  }
  for (const url of ['nats-leaf://127.0.0.1:7422', 'nats-leaf://localhost:7422', 'nats-leaf://[::1]:7422']) {
    assert.doesNotMatch(renderLeafConfig({ ...input('2.10.0'), hubLeafUrl: url }), /tls:/, `${url} is the embedded default`);
  }
});

test('a tls:// hub gets a TLS remote, verified against the given CA bundle when there is one', () => {
  const withCa = renderLeafConfig({ ...input('2.10.0'), hubCaFile: '/etc/agentplane/hub-ca.pem' });
  assert.match(withCa, /urls: \[\s*"tls:\/\/leaf-[^"]+@hub\.example\.com:7422"\s*\]\s*tls: \{\s*ca_file: "\/etc\/agentplane\/hub-ca\.pem"/);
  assert.match(renderLeafConfig(input('2.10.0')), /tls: \{\s*timeout: 5\s*\}/);
});

test('the leaf has no HTTP monitor unless a port is configured', () => {
  assert.doesNotMatch(renderLeafConfig({ ...input('2.10.0'), monitorPort: undefined }), /http:/);
  assert.match(renderLeafConfig(input('2.10.0')), /http: "127\.0\.0\.1:8222"/);
});
