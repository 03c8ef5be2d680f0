import { randomUUID } from 'node:crypto';
import { runMigrations } from '../../control-plane/db/migrate.ts';
import { createDb, type Db } from '../../control-plane/db/pool.ts';
import { createWorkflowStore } from '../../control-plane/db/workflows.ts';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * A scratch database with the control plane's own migrations and one tenant, dropped by `close` when a
 * test file ends: for tests that read and write the workflows tables directly. One per test file (open
 * it in `before`, `close` it in `after`); tests keep apart by using workflows of their own.
 */
export async function controlPlaneDatabase() {
  const scratch = await createTestDatabase('cpdb');
  await runMigrations({ databaseUrl: scratch.url, log: silentLogger() });
  const db: Db = createDb({ databaseUrl: scratch.url, max: 3 });
  const close = async (): Promise<void> => {
    await db.end();
    await scratch.drop();
  };
  const addTenant = async (): Promise<string> => {
    const id = randomUUID();
    await db.query("INSERT INTO tenants (id, name) VALUES ($1, 'acme')", [id]);
    return id;
  };
  const tenant = await addTenant();
  const workflows = createWorkflowStore(db);
  /** A new workflow of `tenantId`, queued as the API stores it. */
  const queuedWorkflow = async (tenantId = tenant): Promise<string> => {
    const id = newUlid();
    await workflows.create({ id, tenantId, template: 'code-review' });
    return id;
  };
  // The url: a test may give the code under test a pool of its own, apart from the one it reads with.
  return { db, url: scratch.url, tenant, addTenant, workflows, queuedWorkflow, close };
}
