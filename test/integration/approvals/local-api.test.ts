import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createApprovalStore } from '../../../customer-plane/approvals/store.ts';
import { startLocalApi } from '../../../customer-plane/console/api/app.ts';
import { adminSecretAuthenticator, type Authenticator, LOCAL_RIGHTS } from '../../../customer-plane/console/api/auth.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { approvalsDatabase, pushAsk, testEnvironments } from '../../support/approvals.ts';

/**
 * The customer plane's local API on loopback: approvals listed, shown and decided by a person holding
 * the local admin secret, with every refusal a code and nothing half-applied.
 */
const SECRET = randomBytes(32).toString('base64url');

async function setup(t: { after(fn: () => Promise<void> | void): void }, authenticate: Authenticator = adminSecretAuthenticator(SECRET)) {
  const { db, brokerOn } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const environments = testEnvironments(600, 60);
  const api = await startLocalApi({ host: '127.0.0.1', port: 0, store, environments, authenticate, log: silentLogger() });
  t.after(() => api.close());
  const call = async (method: string, path: string, o: { token?: string; body?: string; type?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = o.type ?? 'application/json';
    const res = await fetch(`${api.url}${path}`, { method, headers, body: o.body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const now = Date.now();
  const open = async (o: { deadlineAt?: number } = {}) =>
    (
      await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), {
        now,
        warnAt: (o.deadlineAt ?? now + 600_000) - 1,
        deadlineAt: o.deadlineAt ?? now + 600_000,
      })
    ).approval;
  return { api, store, call, open, brokerOn, environments };
}

test('a person with the local admin secret lists, shows, approves and rejects; the waiting step hears the decision at once', async (t) => {
  const s = await setup(t);
  const broker = s.brokerOn({ environments: s.environments, log: silentLogger(), pollMs: 60_000 });
  const waiting = [1, 2].map((seq) => broker.request(pushAsk({ runId: newUlid(), stepId: newUlid(), seq })));
  const listed = await waitFor('two pending approvals', async () => {
    const r = await s.call('GET', '/v1/approvals', { token: SECRET });
    return r.body.approvals?.length === 2 ? r.body.approvals : undefined;
  });
  assert.deepEqual(
    listed.map((a: { status: string; tool: string }) => [a.status, a.tool]),
    [
      ['pending', 'run_command'],
      ['pending', 'run_command'],
    ],
  );
  const [second, first] = listed;
  const shown = await s.call('GET', `/v1/approvals/${first.id}`, { token: SECRET });
  assert.equal(shown.status, 200);
  assert.deepEqual(shown.body.approval.preview.argv, [['git', 'push', 'origin', 'main']]);
  assert.equal(shown.body.approval.deadlineAt, first.deadlineAt);

  const approved = await s.call('POST', `/v1/approvals/${first.id}/approve`, { token: SECRET, body: JSON.stringify({ note: 'ok' }) });
  assert.equal(approved.status, 200);
  assert.deepEqual(
    [approved.body.approval.status, approved.body.approval.decidedBy, approved.body.approval.note],
    ['approved', 'local-admin', 'ok'],
  );
  const rejected = await s.call('POST', `/v1/approvals/${second.id}/reject`, { token: SECRET });
  assert.equal(rejected.body.approval.status, 'rejected');
  const answers = await Promise.all(waiting);
  assert.deepEqual(
    answers.map((a) => a.outcome).sort(),
    ['approved', 'rejected'],
    'both waits ended by the decisions (the poll interval is a minute)',
  );
  assert.equal((await s.call('GET', '/v1/approvals', { token: SECRET })).body.approvals.length, 0, 'nothing pending any more');
  const all = await s.call('GET', '/v1/approvals?status=all', { token: SECRET });
  assert.equal(all.body.approvals.length, 2);
  const envs = await s.call('GET', '/v1/environments', { token: SECRET });
  assert.deepEqual(
    envs.body.environments.map((e: { name: string; writes: string }) => [e.name, e.writes]),
    [
      ['sandbox', 'allow'],
      ['production', 'ask'],
    ],
  );
});

test('without the local admin secret nothing is read or decided: none, a wrong one or a vendor token is 401; a session without the right to decide is 403', async (t) => {
  const s = await setup(t);
  const a = await s.open();
  const vendorLike = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJhcGkiLCJ0ZW5hbnQiOiIqIn0.c2lnbmF0dXJl';
  for (const token of [undefined, 'wrong', `${SECRET}x`, vendorLike]) {
    for (const [method, path] of [
      ['GET', '/v1/approvals'],
      ['GET', `/v1/approvals/${a.id}`],
      ['POST', `/v1/approvals/${a.id}/approve`],
      ['GET', '/v1/environments'],
    ]) {
      const r = await s.call(method, path, { token });
      assert.equal(r.status, 401, `${method} ${path} with ${token === undefined ? 'no' : 'a wrong'} credential`);
      assert.equal(r.body.error.code, 'unauthorized');
    }
  }
  assert.equal((await s.store.get(a.id))!.status, 'pending');

  const viewer = await setup(t, (req) =>
    req.headers.authorization === 'Bearer viewer-session' ? { name: 'viewer', rights: new Set(['approvals:read'] as const) } : undefined,
  );
  const b = await viewer.open();
  assert.equal((await viewer.call('GET', `/v1/approvals/${b.id}`, { token: 'viewer-session' })).status, 200);
  for (const verb of ['approve', 'reject']) {
    const r = await viewer.call('POST', `/v1/approvals/${b.id}/${verb}`, { token: 'viewer-session', body: '{}' });
    assert.deepEqual([r.status, r.body.error.code], [403, 'forbidden']);
  }
  assert.equal((await viewer.store.get(b.id))!.status, 'pending', 'the refused session changed nothing');
  assert.deepEqual([...LOCAL_RIGHTS].sort(), ['approvals:decide', 'approvals:read', 'audit:read', 'environments:read', 'runs:read']);
  assert.throws(() => adminSecretAuthenticator('short'), RangeError, 'a guessable admin secret is refused');
});

test('bad input: an unknown or malformed id, an expired or already decided approval, unknown fields, NUL, not JSON — each a 4xx code in the one error shape, nothing half-applied', async (t) => {
  const s = await setup(t);
  const live = await s.open();
  const expired = await s.open({ deadlineAt: Date.now() - 1 });
  const expect = async (r: Promise<{ status: number; body: any }>, status: number, code: string) => {
    const got = await r;
    assert.deepEqual([got.status, got.body.error?.code], [status, code], JSON.stringify(got.body));
    assert.equal(typeof got.body.error.message, 'string');
  };
  await expect(s.call('POST', `/v1/approvals/${newUlid()}/approve`, { token: SECRET }), 404, 'approval_not_found');
  await expect(s.call('GET', `/v1/approvals/${newUlid()}`, { token: SECRET }), 404, 'not_found');
  await expect(s.call('POST', '/v1/approvals/..%2Fetc/approve', { token: SECRET }), 400, 'invalid_request');
  await expect(s.call('POST', `/v1/approvals/${expired.id}/approve`, { token: SECRET }), 409, 'approval_expired');
  assert.equal((await s.store.get(expired.id))!.status, 'expired');
  await expect(
    s.call('POST', `/v1/approvals/${live.id}/approve`, { token: SECRET, body: '{"note":"x","force":true}' }),
    400,
    'invalid_request',
  );
  await expect(s.call('POST', `/v1/approvals/${live.id}/approve`, { token: SECRET, body: '{"note":"a\\u0000b"}' }), 400, 'invalid_request');
  await expect(s.call('POST', `/v1/approvals/${live.id}/approve`, { token: SECRET, body: '{"note":' }), 400, 'invalid_json');
  await expect(
    s.call('POST', `/v1/approvals/${live.id}/approve`, { token: SECRET, body: 'yes', type: 'text/plain' }),
    415,
    'unsupported_media_type',
  );
  await expect(s.call('GET', '/v1/approvals?status=maybe', { token: SECRET }), 400, 'invalid_request');
  assert.equal((await s.store.get(live.id))!.status, 'pending', 'no refused request decided anything');
  assert.equal((await s.call('POST', `/v1/approvals/${live.id}/reject`, { token: SECRET, body: '{"note":"no"}' })).status, 200);
  await expect(s.call('POST', `/v1/approvals/${live.id}/approve`, { token: SECRET }), 409, 'approval_already_decided');
  const final = (await s.store.get(live.id))!;
  assert.deepEqual([final.status, final.note], ['rejected', 'no']);
  await expect(s.call('GET', '/v1/nothing', { token: SECRET }), 404, 'not_found');
});

test('the local API listens on loopback only: another address is refused at start, in the configuration and by the server itself', async (t) => {
  const { db } = await approvalsDatabase(t);
  const base = {
    port: 0,
    store: createApprovalStore(db),
    environments: testEnvironments(),
    authenticate: adminSecretAuthenticator(SECRET),
    log: silentLogger(),
  };
  await assert.rejects(startLocalApi({ ...base, host: '0.0.0.0' }), RangeError);
  await assert.rejects(startLocalApi({ ...base, host: '10.0.0.5' }), RangeError);
  const env = {
    TENANT_ID: '00000000-0000-4000-8000-0000000000aa',
    CONTROL_PLANE_URL: 'https://cp.example',
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
  };
  assert.equal(customerPlaneEnvSchema.safeParse({ ...env, LOCAL_API_HOST: '0.0.0.0' }).success, false);
  assert.equal(customerPlaneEnvSchema.safeParse({ ...env, LOCAL_API_HOST: '::1', LOCAL_API_PORT: '7471' }).success, true);
  const parsed = customerPlaneEnvSchema.parse(env);
  assert.deepEqual([parsed.LOCAL_API_HOST, parsed.LOCAL_API_PORT], ['127.0.0.1', undefined], 'off unless a port is given');
});
