import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrateMemory } from '../../../customer-plane/memory/migrate.ts';
import { migrateLedger } from '../../../customer-plane/runner/ledger/migrate.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';

test('agent memory migrates in its own schema: runners starting together apply it once, beside the ledger in one database', async (t) => {
  const db = await createTestDatabase('memmig');
  t.after(() => db.drop());
  const log = silentLogger();
  const [a, b, ledger] = await Promise.all([
    migrateMemory({ databaseUrl: db.url, log }),
    migrateMemory({ databaseUrl: db.url, log }),
    migrateLedger({ databaseUrl: db.url, log }),
  ]);
  assert.ok(a.length > 0 !== b.length > 0, `memory applied by one runner only: ${a} / ${b}`);
  assert.ok(ledger.length > 0, 'the ledger migrated on its own lock and table');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client
    .query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'memory' ORDER BY table_name")
    .finally(() => client.end());
  assert.deepEqual(
    rows.map((r) => r.table_name),
    ['episodes', 'migrations', 'procedures', 'semantic_files', 'semantic_turns', 'standing', 'standing_events', 'working'],
  );
  assert.deepEqual(await migrateMemory({ databaseUrl: db.url, log }), [], 'a restart applies nothing');
});
