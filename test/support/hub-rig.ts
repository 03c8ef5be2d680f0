import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { operatorIssuer, startControlInProcess, startTestHub, tempDir } from '../../scripts/topology/boundary-rig.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { deferNewestFirst } from './cleanup.ts';

/**
 * What the tests across the boundary start from: a dir and a scratch database of their own (both
 * named `name`), a hub nats-server the test owns (so it can kill and restart it) and the operator's
 * token keys for a control plane. Everything is stopped newest first when the test ends, each stop
 * bounded by `boundMs`; `defer` adds the test's own stops to the same order.
 */
export async function hubRig(t: TestContext, name: string, boundMs?: number) {
  const defer = deferNewestFirst(t, boundMs);
  const dir = tempDir(name);
  defer(() => dir.remove());
  const db = await createTestDatabase(name);
  defer(() => db.drop());
  const hub = await startTestHub(join(dir.path, 'hub'));
  defer(() => hub.stop());
  const { keysJson, operatorToken } = await operatorIssuer();

  /** A control plane in this process against the hub (HUB_NATS_URL & co., as in production), its state under `cp`. */
  const startControl = async () => {
    const control = await startControlInProcess({ databaseUrl: db.url, hub, stateDir: join(dir.path, 'cp'), keysJson });
    defer(() => control.stop());
    return control;
  };
  return { defer, dir, db, hub, keysJson, operatorToken, startControl };
}
