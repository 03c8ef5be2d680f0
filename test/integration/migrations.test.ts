import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runMigrations } from '../../control-plane/db/migrate.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

test('two replicas migrating the same database at once both succeed and apply each migration once', async (t) => {
  const db = await createTestDatabase('mig');
  t.after(() => db.drop());
  const log = silentLogger();
  const [a, b] = await Promise.all([runMigrations({ databaseUrl: db.url, log }), runMigrations({ databaseUrl: db.url, log })]);
  // One replica applied everything, the other found nothing left to do.
  assert.ok(a.length > 0 !== b.length > 0, `applied by a: ${a}, by b: ${b}`);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name');
    assert.ok(rows.length >= 1);
    for (const r of rows) assert.equal(r.n, 1, `${r.name} recorded once`);
    const tables = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'workflows'");
    assert.equal(tables.rows[0].n, 1);
  } finally {
    await client.end();
  }
  assert.deepEqual(await runMigrations({ databaseUrl: db.url, log }), [], 'a restart applies nothing');
});

test('the customer plane ledger migrates in its own schema: runners starting together apply it once, beside the control plane in one database', async () => {
  const db = await createTestDatabase('ledger');
  try {
    const log = silentLogger();
    const [a, b, c] = await Promise.all([
      migrateLedger({ databaseUrl: db.url, log }),
      migrateLedger({ databaseUrl: db.url, log }),
      runMigrations({ databaseUrl: db.url, log }),
    ]);
    assert.ok(a.length > 0 !== b.length > 0, `ledger applied by one runner only: ${a} / ${b}`);
    assert.ok(c.length > 0, 'the control plane migrated too, on its own lock and table');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'runtime' ORDER BY table_name",
      );
      assert.deepEqual(
        rows.map((r) => r.table_name),
        ['effects', 'findings', 'gate_decisions', 'migrations', 'model_turns', 'patches', 'run_inputs', 'runs', 'steps', 'tool_calls'],
      );
    } finally {
      await client.end();
    }
    assert.deepEqual(await migrateLedger({ databaseUrl: db.url, log }), [], 'a restart applies nothing');
  } finally {
    await db.drop();
  }
});
