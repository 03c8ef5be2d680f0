import { createDb } from '../../shared/db/pool.ts';
import { createStoredBroker, type StoredBroker } from '../../customer-plane/approvals/broker.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { migrateApprovals } from '../../customer-plane/approvals/migrate.ts';
import { parseEnvironments, type Environments } from '../../customer-plane/environments/environments.ts';
import type { ApprovalRequest } from '../../customer-plane/gate/approval-broker.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { silentLogger } from '../../shared/log.ts';

/**
 * An approvals database of its own (migrated), dropped when the test ends; `brokerOn` makes a stored
 * broker on it (or on `pool`, a wrapper of it) that is closed before the pool ends (its listening connection would hold the end).
 */
export async function approvalsDatabase(t: { after(fn: () => Promise<void> | void): void }) {
  const database = await createTestDatabase('appr');
  const db = createDb({ databaseUrl: database.url, max: 6 });
  const brokers: StoredBroker[] = [];
  t.after(async () => {
    for (const b of brokers) await b.close();
    await db.end();
    await database.drop();
  });
  await migrateApprovals({ databaseUrl: database.url, log: silentLogger() });
  return {
    url: database.url,
    db,
    brokerOn(opts: Omit<Parameters<typeof createStoredBroker>[0], 'db'>, pool: typeof db = db): StoredBroker {
      const b = createStoredBroker({ db: pool, ...opts });
      brokers.push(b);
      return b;
    },
  };
}

/** A logger whose lines the test reads back (parsed). */
export function capturedLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ service: 'test', level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

/** Environments with short deadlines for tests: `sandbox` 60 s (warning 10 s before), `production` asks before writes. */
export function testEnvironments(deadlineSeconds = 60, warnBeforeSeconds = 10): Environments {
  const approval = { deadlineSeconds, warnBeforeSeconds };
  return parseEnvironments(
    JSON.stringify({
      environments: {
        sandbox: { secrets: { prefix: 'sandbox/' }, templates: ['code-review', 'refactor'], approval, writes: 'allow' },
        production: { secrets: { prefix: 'production/' }, templates: ['refactor'], approval, writes: 'ask', reviewed: {} },
      },
    }),
    'test',
  );
}

/** A gate ask as the gate makes it: a push in the sandbox, at call `seq` of the step. */
export function pushAsk(o: { runId: string; stepId: string; seq?: number; remote?: string; signal?: AbortSignal }): ApprovalRequest {
  return {
    runId: o.runId,
    stepId: o.stepId,
    seq: o.seq ?? 1,
    agent: 'fixer',
    tool: 'run_command',
    reason: 'consequential_action',
    consequences: ['push'],
    preview: { tool: 'run_command', argv: [['git', 'push', o.remote ?? 'origin', 'main']], cwd: '/ws/one', paths: [], secrets: [] },
    policy: { environment: 'sandbox', writes: 'allow', actAloneFrom: 'assisted', autonomy: 'assisted' },
    signal: o.signal ?? new AbortController().signal,
  };
}
