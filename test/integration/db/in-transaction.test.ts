// inTransaction on its own, on a scratch Postgres: what commits, what rolls back, which errors become an
// outage (503) and which are left alone, and a connection the server ends while the transaction holds it.
// Each test uses a pool of one connection, so a transaction or a listener left behind is the next one's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDb, type Db, inTransaction } from '../../../shared/db/pool.ts';
import { UnavailableError } from '../../../shared/errors.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';

let scratch: Awaited<ReturnType<typeof createTestDatabase>>;
let reader: Db;
before(async () => {
  scratch = await createTestDatabase('tx');
  reader = createDb({ databaseUrl: scratch.url, max: 2 });
  await reader.query('CREATE TABLE items (name text PRIMARY KEY)');
});
after(async () => {
  await reader.end();
  await scratch.drop();
});

function onePool(t: { after(fn: () => unknown): void }): Db {
  const db = createDb({ databaseUrl: scratch.url, max: 1 });
  t.after(() => db.end());
  return db;
}

const names = async (prefix: string) =>
  (await reader.query('SELECT name FROM items WHERE name LIKE $1 ORDER BY name', [`${prefix}%`])).rows.map((r) => r.name);

test('what fn writes commits together when it returns, and its result is returned', async (t) => {
  const db = onePool(t);
  const result = await inTransaction(db, async (c) => {
    await c.query("INSERT INTO items VALUES ('ok-1'), ('ok-2')");
    assert.deepEqual(await names('ok-'), [], 'not seen by others before the commit');
    return 'done';
  });
  assert.equal(result, 'done');
  assert.deepEqual(await names('ok-'), ['ok-1', 'ok-2']);
});

test('a throw rolls everything back and is rethrown as it was; the connection is clean for the next transaction', async (t) => {
  const db = onePool(t);
  const bug = new TypeError('a bug in fn');
  await assert.rejects(
    inTransaction(db, async (c) => {
      await c.query("INSERT INTO items VALUES ('rb-1')");
      throw bug;
    }),
    (err) => err === bug,
  );
  assert.deepEqual(await names('rb-'), []);
  await inTransaction(db, (c) => c.query("INSERT INTO items VALUES ('rb-2')"));
  assert.deepEqual(await names('rb-'), ['rb-2'], 'the rolled-back row did not ride along');
  // A refused statement (a duplicate key) is the database answering, not an outage: rethrown unchanged.
  await assert.rejects(
    inTransaction(db, (c) => c.query("INSERT INTO items VALUES ('rb-2')")),
    (err: Error & { code?: string }) => err.code === '23505' && !(err instanceof UnavailableError),
  );
});

test('a plain Error thrown by fn’s own code is rethrown as it was, not made a Postgres outage (a 503 would have clients retry a bug)', async (t) => {
  const db = onePool(t);
  const bug = new Error('fn failed on its own');
  await assert.rejects(
    inTransaction(db, async (c) => {
      await c.query("INSERT INTO items VALUES ('plain-1')");
      throw bug;
    }),
    (err) => err === bug,
  );
  assert.deepEqual(await names('plain-'), []);
});

test('a connection the server ends while it is held rejects as a Postgres outage, the process goes on, and the pool connects anew', async (t) => {
  const db = onePool(t);
  await assert.rejects(
    inTransaction(db, async (c) => {
      const { rows } = await c.query('SELECT pg_backend_pid() AS pid');
      await reader.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // The server's notice arrives between two queries: an 'error' event on the held client.
      await new Promise((r) => setTimeout(r, 100));
      await c.query("INSERT INTO items VALUES ('lost-1')");
    }),
    (err) => err instanceof UnavailableError && err.dependency === 'postgres',
  );
  assert.deepEqual(await names('lost-'), []);
  await inTransaction(db, (c) => c.query("INSERT INTO items VALUES ('lost-2')"));
  assert.deepEqual(await names('lost-'), ['lost-2']);
});

test('a connection the server ends during a query rejects that query as a Postgres outage', async (t) => {
  const db = onePool(t);
  await assert.rejects(
    inTransaction(db, async (c) => {
      const { rows } = await c.query('SELECT pg_backend_pid() AS pid');
      // The server's answer (57P01) goes to the running query, before the socket's end is heard.
      const terminate = new Promise((r) => setTimeout(r, 100)).then(() => reader.query('SELECT pg_terminate_backend($1)', [rows[0].pid]));
      try {
        await c.query('SELECT pg_sleep(10)');
      } finally {
        await terminate;
      }
    }),
    (err) => err instanceof UnavailableError && err.dependency === 'postgres',
  );
});

test('a transaction leaves no listener of its own on the pooled connection', async (t) => {
  const db = onePool(t);
  const held = await db.connect();
  const listening = held.listenerCount('error');
  held.release();
  for (let i = 0; i < 3; i++) await inTransaction(db, (c) => c.query('SELECT 1'));
  const again = await db.connect();
  const listeningAfter = again.listenerCount('error');
  again.release();
  assert.equal(again, held, 'the same connection');
  assert.equal(listeningAfter, listening);
});
