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
