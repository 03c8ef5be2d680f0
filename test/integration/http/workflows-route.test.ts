// POST /v1/workflows on its own: the route on the control plane's fastify app (its error shape), real
// tokens, a scratch Postgres with the control plane's migrations, and a dispatcher that records what it
// is asked to publish or refuses as the hub's does when the hub is down. The row and the dispatch share
// one transaction (`inTransaction`): the row commits only once the hub acknowledged. The fault tests
// (test/faults/hub-restart.test.ts) prove the same with a real hub killed; these take seconds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDb, type Db } from '../../../control-plane/db/pool.ts';
import { createHttpApp } from '../../../control-plane/http/app.ts';
import { workflowRoutes } from '../../../control-plane/http/routes/workflows.ts';
import type { Dispatcher } from '../../../control-plane/routing/dispatch.ts';
import type { Dispatch } from '../../../shared/dispatch.ts';
import { UnavailableError } from '../../../shared/errors.ts';
import { newUlid } from '../../../shared/ids.ts';
import { createLogger } from '../../../shared/log.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../../../shared/tokens.ts';
import { controlPlaneDatabase } from '../../support/control-plane-db.ts';

const keys = [await generateSigningJwk('k1')];
const issuer = createTokenIssuer({ keys });
const verifier = createTokenVerifier({ jwks: publicJwks(keys) });

let h: Awaited<ReturnType<typeof controlPlaneDatabase>>;
before(async () => {
  h = await controlPlaneDatabase();
});
after(() => h.close());

type Sent = { d: Dispatch; opts: { requestId?: string } };

/** A dispatcher that records each dispatch, then does what `then` does (resolve: acknowledged; throw: refused). */
function recordingDispatcher(then: (d: Dispatch) => Promise<void> = async () => {}) {
  const sent: Sent[] = [];
  const dispatcher: Dispatcher = {
    async enqueue(d, opts = {}) {
      sent.push({ d, opts });
      await then(d);
    },
  };
  return { dispatcher, sent };
}

const hubDown = async () => {
  throw new UnavailableError('hub', 'the dispatch queue (NATS hub) is unreachable; the workflow was not accepted, retry shortly');
};

/**
 * The route on an app of its own, over a pool of its own of one connection: a transaction left open on
 * it would be the next request's, and the rows are read through the file's other pool (what others see).
 */
async function route(t: { after(fn: () => unknown): void }, dispatcher: Dispatcher) {
  const db: Db = createDb({ databaseUrl: h.url, max: 1 });
  const app = createHttpApp({ log: createLogger({ service: 'test', level: 'silent' }) });
  t.after(async () => {
    await app.close();
    await db.end();
  });
  await app.register(workflowRoutes({ db, workflows: h.workflows, dispatcher, verifier }));
  await app.ready();
  return app;
}

const apiToken = (tenant: string) => issuer.issue({ typ: 'api', tenant, ttlSeconds: 300 });

async function post(app: Awaited<ReturnType<typeof route>>, tenant: string, body: Record<string, unknown>, requestId = 'req-1') {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/workflows',
    headers: { authorization: `Bearer ${await apiToken(tenant)}`, 'x-request-id': requestId },
    payload: body,
  });
  return { status: res.statusCode, body: res.json() as Record<string, any>, headers: res.headers };
}

/** The tenant's workflow rows as committed, seen from another connection. */
async function rowsOf(tenant: string) {
  const { rows } = await h.db.query('SELECT id, template, status FROM workflows WHERE tenant_id = $1 ORDER BY id', [tenant]);
  return rows;
}

test('an accepted workflow is one queued row under the id answered, and exactly its dispatch fields are published with the request id', async (t) => {
  const tenant = await h.addTenant();
  let seenDuringDispatch: unknown[] | undefined;
  const hub = recordingDispatcher(async () => {
    seenDuringDispatch = await rowsOf(tenant);
  });
  const app = await route(t, hub.dispatcher);
  const sentFrom = Date.now();
  const res = await post(app, tenant, { template: 'code-review', repo: 'sample' }, 'req-plain');
  const answeredAt = Date.now();
  assert.equal(res.status, 202);
  const id = res.body.id as string;
  assert.deepEqual(res.body, { id, status: 'queued', environment: 'sandbox' }, 'no environment given: the default is named');
  assert.deepEqual(await rowsOf(tenant), [{ id, template: 'code-review', status: 'queued' }]);
  assert.deepEqual(seenDuringDispatch, [], 'the row is not committed before the hub acknowledged');

  assert.equal(hub.sent.length, 1);
  const [{ d, opts }] = hub.sent;
  assert.ok(d.requestedAt >= sentFrom && d.requestedAt <= answeredAt, 'requested now');
  // No environment and no inputs keys at all: what customer planes from before environments accept.
  assert.deepEqual(d, { workflowId: id, tenant, template: 'code-review', repo: 'sample', requestedAt: d.requestedAt });
  assert.deepEqual(opts, { requestId: 'req-plain' });
});

test('an environment and inputs given are answered and published as given', async (t) => {
  const tenant = await h.addTenant();
  const hub = recordingDispatcher();
  const app = await route(t, hub.dispatcher);
  const inputs = newUlid();
  const res = await post(app, tenant, { template: 'code-review', repo: 'sample', environment: 'staging', inputs }, 'req-env');
  assert.equal(res.status, 202);
  const id = res.body.id as string;
  assert.deepEqual(res.body, { id, status: 'queued', environment: 'staging' });
  assert.deepEqual(
    hub.sent.map((s) => [s.d, s.opts]),
    [
      [
        {
          workflowId: id,
          tenant,
          template: 'code-review',
          repo: 'sample',
          environment: 'staging',
          requestedAt: hub.sent[0].d.requestedAt,
          inputs,
        },
        { requestId: 'req-env' },
      ],
    ],
  );
  // Either field alone is published alone.
  const onlyInputs = await post(app, tenant, { template: 'code-review', repo: 'sample', inputs });
  assert.equal(onlyInputs.body.environment, 'sandbox');
  assert.deepEqual(Object.keys(hub.sent[1].d).sort(), ['inputs', 'repo', 'requestedAt', 'template', 'tenant', 'workflowId']);
  await post(app, tenant, { template: 'code-review', repo: 'sample', environment: 'prod-eu' });
  assert.deepEqual(Object.keys(hub.sent[2].d).sort(), ['environment', 'repo', 'requestedAt', 'template', 'tenant', 'workflowId']);
  assert.equal(hub.sent[2].d.environment, 'prod-eu');
  assert.equal((await rowsOf(tenant)).length, 3);
});

test('with the hub down the request is refused 503 with Retry-After and nothing is stored; the next accepted one is stored alone', async (t) => {
  const tenant = await h.addTenant();
  let down = true;
  const hub = recordingDispatcher(async (d) => {
    if (down) await hubDown();
    return void d;
  });
  const app = await route(t, hub.dispatcher);
  const refused = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '5');
  assert.equal(refused.body.error.code, 'unavailable');
  assert.match(refused.body.error.message, /not accepted, retry shortly/);
  assert.equal(hub.sent.length, 1, 'the dispatch was tried');
  assert.deepEqual(await rowsOf(tenant), [], 'no queued row that nothing would ever dispatch');

  // The refused row must not ride along with the next transaction on the same connection.
  down = false;
  const accepted = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  assert.equal(accepted.status, 202);
  assert.deepEqual(
    (await rowsOf(tenant)).map((r) => r.id),
    [accepted.body.id],
  );
});

test('a dispatch that fails for another reason (a bug) leaves nothing either and answers 500 without its internals', async (t) => {
  const tenant = await h.addTenant();
  const hub = recordingDispatcher(async () => {
    // A TypeError, not a bare Error: inTransaction reports a bare Error as a lost database (pg's own are bare).
    throw new TypeError('cannot read the hub at nats://10.0.0.7');
  });
  const app = await route(t, hub.dispatcher);
  const res = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  assert.deepEqual([res.status, res.body], [500, { error: { code: 'internal', message: 'internal error' } }]);
  assert.deepEqual(await rowsOf(tenant), []);
});

test('a workflow is read back by its own tenant only: another tenant gets the same 404 as for a missing one', async (t) => {
  const tenant = await h.addTenant();
  const other = await h.addTenant();
  const app = await route(t, recordingDispatcher().dispatcher);
  const { body } = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  const get = async (as: string, id: string) => {
    const res = await app.inject({ method: 'GET', url: `/v1/workflows/${id}`, headers: { authorization: `Bearer ${await apiToken(as)}` } });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };
  const own = await get(tenant, body.id);
  assert.equal(own.status, 200);
  assert.deepEqual([own.body.id, own.body.tenantId, own.body.template, own.body.status], [body.id, tenant, 'code-review', 'queued']);
  const notFound = { status: 404, body: { error: { code: 'not_found', message: 'no such workflow' } } };
  assert.deepEqual(await get(other, body.id), notFound);
  assert.deepEqual(await get(tenant, newUlid()), notFound);
  const bad = await get(tenant, 'not-a-ulid');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.message, 'invalid path: id: workflow id must be a ULID');
});

test('the database connection lost while the dispatch is in flight answers 503 unavailable, stores nothing, and the next request is served', async (t) => {
  const tenant = await h.addTenant();
  let cut = true;
  const hub = recordingDispatcher(async () => {
    if (!cut) return;
    cut = false;
    // What a failover or a restart does to the route's connection mid-transaction (only this scratch database's).
    const { rows } = await h.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
    );
    assert.equal(rows.length, 1, 'the transaction holding the row');
    // The server's notice of the end reaches the client while the dispatch is still in flight.
    await new Promise((r) => setTimeout(r, 100));
  });
  const app = await route(t, hub.dispatcher);
  const lost = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  assert.deepEqual(
    [lost.status, lost.headers['retry-after'], lost.body],
    [503, '5', { error: { code: 'unavailable', message: 'the database is unavailable; retry shortly' } }],
  );
  assert.deepEqual(await rowsOf(tenant), []);
  const next = await post(app, tenant, { template: 'code-review', repo: 'sample' });
  assert.equal(next.status, 202, 'the dead connection was not handed out again');
  assert.deepEqual(
    (await rowsOf(tenant)).map((r) => r.id),
    [next.body.id],
  );
});
