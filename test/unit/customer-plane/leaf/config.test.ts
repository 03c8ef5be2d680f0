import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, renderLeafConfig, supportsSyncAlways, type LeafConfigInput } from '../../../../customer-plane/leaf/config.ts';
import { parseNatsConf } from '../../../support/nats-conf.ts';

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

// The parsed config, entry by entry: a permission, deny entry or listener added, dropped or widened in
// either direction changes one of these lists.
const parsed = (over: Partial<LeafConfigInput> = {}) => parseNatsConf(renderLeafConfig({ ...input('2.10.22'), ...over })) as any;

test('the parsed leaf config has exactly a loopback client listener, an optional loopback monitor, JetStream, two local users and one remote', () => {
  const conf = parsed();
  assert.deepEqual(Object.keys(conf).sort(), ['authorization', 'http', 'jetstream', 'leafnodes', 'listen', 'server_name']);
  assert.equal(conf.server_name, `leaf-${TENANT}`);
  assert.equal(conf.listen, '127.0.0.1:4222');
  assert.equal(conf.http, '127.0.0.1:8222');
  assert.deepEqual(conf.jetstream, { store_dir: '/jetstream', domain: 'leaf', sync_interval: 'always' });
  assert.deepEqual(parsed({ serverVersion: '2.9.25' }).jetstream, { store_dir: '/jetstream', domain: 'leaf' });
  assert.deepEqual(Object.keys(parsed({ monitorPort: undefined })).sort(), [
    'authorization',
    'jetstream',
    'leafnodes',
    'listen',
    'server_name',
  ]);
  assert.deepEqual(Object.keys(conf.leafnodes), ['remotes'], 'no leafnode listener, only the remote');
  assert.equal(conf.leafnodes.remotes.length, 1);
});

test('only the egress login may publish up, and only its own tenant; the runner may publish local subjects only', () => {
  const users = parsed().authorization.users;
  assert.deepEqual(
    users.map((u: any) => [u.user, u.password]),
    [
      ['egress', 'e'],
      ['runner', 'r'],
    ],
  );
  assert.deepEqual(users[0].permissions, {
    publish: { allow: [`ap.up.${TENANT}.>`, 'ap.local.>', '$JS.API.>', '$JS.ACK.>'] },
    subscribe: { allow: ['ap.local.>', `ap.down.${TENANT}.inbox.>`, '_INBOX.>'] },
  });
  assert.deepEqual(users[1].permissions, {
    publish: { allow: ['ap.local.>', '$JS.API.>', '$JS.ACK.>'], deny: ['ap.up.>', 'ap.down.>'] },
    subscribe: { allow: [`ap.down.${TENANT}.dispatch`, 'ap.local.>', '_INBOX.>'] },
  });
});

test('the remote denies every local namespace in both directions, plus down subjects going out and up subjects coming in', () => {
  const remote = parsed().leafnodes.remotes[0];
  const local = ['ap.local.>', '$JS.>', '$JSC.>', '$KV.>', '$O.>', '$SYS.>', '_INBOX.>'];
  assert.deepEqual(remote.deny_exports, [...local, 'ap.down.>']);
  assert.deepEqual(remote.deny_imports, [...local, 'ap.up.>']);
  assert.deepEqual(remote.urls, [`tls://leaf-${TENANT}:p@hub.example.com:7422`]);
  assert.deepEqual(remote.tls, { timeout: 5 });
  const plain = parsed({ hubLeafUrl: 'nats-leaf://127.0.0.1:7422', leafUser: 'u s', leafPassword: 'p@ss/w:rd' }).leafnodes.remotes[0];
  assert.equal(plain.tls, undefined, 'a loopback hub gets no TLS block');
  assert.deepEqual(plain.urls, ['nats-leaf://u%20s:p%40ss%2Fw%3Ard@127.0.0.1:7422'], 'credentials are URL-encoded into the remote');
});

test('loopback is 127.0.0.0/8, localhost and ::1, and nothing that merely contains them', () => {
  for (const h of ['127.0.0.1', '127.10.20.30', '127.255.255.255', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of [
    '127.0.0.1.example.com',
    'x127.0.0.1',
    '127.0.0.1000',
    '127.1000.0.1',
    '127.0.1000.1',
    '127.0.0',
    '128.0.0.1',
    '127.0.0.1[',
    'local]host',
    '[::2]',
    'localhost.example.com',
    '0.0.0.0',
  ]) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

test('sync_interval needs nats-server 2.10 or newer, whatever the major version', () => {
  for (const v of ['1.10.0', '1.99.0', '2.9.99']) assert.equal(supportsSyncAlways(v), false, v);
  for (const v of ['2.10.0', '3.0.0', '3.1.0']) assert.equal(supportsSyncAlways(v), true, v);
});

test('the plaintext refusal names the host it refused', () => {
  assert.throws(
    () => renderLeafConfig({ ...input('2.10.0'), hubLeafUrl: 'nats-leaf://hub.example.com:7422' }),
    (err: Error) => err.message.includes('hub.example.com') && /tls:\/\//.test(err.message),
  );
});
