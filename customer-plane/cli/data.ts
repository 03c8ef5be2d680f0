/**
 * `npm run data -- erase --yes`: deletes all of this tenant's local data from the customer plane — run
 * records, approvals, agent memory, and the secret values of run inputs — and prints what went, per
 * table. Kept: the audit chain of what crossed to the vendor, the outbox, the plane's own secrets and
 * its configuration (see customer-plane/data/erase.ts and README "Deleting the tenant's data").
 */
import { z } from 'zod';
import { loadConfig } from '../../shared/config.ts';
import { createDb } from '../../shared/db/pool.ts';
import { silentLogger } from '../../shared/log.ts';
import { migrateApprovals } from '../approvals/migrate.ts';
import { secretStoreEnvSchema } from '../config.ts';
import { EraseRefusedError, eraseTenantData } from '../data/erase.ts';
import { migrateMemory } from '../memory/migrate.ts';
import { runInputSecretId } from '../runner/ledger/inputs.ts';
import { migrateLedger } from '../runner/ledger/migrate.ts';
import { selectSecretBackend } from '../secrets/select.ts';
import { cliDatabase, cliDatabaseEnvShape } from './database-url.ts';
import { runCli } from './run-cli.ts';

const USAGE = 'usage: npm run data -- erase --yes   (deletes every run, approval and memory of this customer plane)';

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 2 || argv[0] !== 'erase' || argv[1] !== '--yes') {
    process.stderr.write(`data: ${argv[0] === 'erase' ? 'erase deletes everything: confirm with --yes' : 'name a command'}\n${USAGE}\n`);
    return 2;
  }
  const env = loadConfig('data', z.object(cliDatabaseEnvShape));
  const store = selectSecretBackend(loadConfig('data', secretStoreEnvSchema), env.STATE_DIR);
  const { databaseUrl, password } = cliDatabase('data', env);
  const log = silentLogger();
  // The schemas exist afterwards whatever the plane has created so far: the erase then finds them empty.
  await migrateLedger({ databaseUrl, log, password });
  await migrateApprovals({ databaseUrl, log, password });
  await migrateMemory({ databaseUrl, log, password });
  const db = createDb({ databaseUrl, max: 2, password });
  try {
    const erased = await eraseTenantData(db, { deleteInputSecret: (id, name) => store.delete(runInputSecretId(id, name)) });
    const counts = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
    process.stdout.write(
      [
        `erased this customer plane's tenant data:`,
        `  runs: ${counts(erased.runtime)}`,
        `  approvals: ${erased.approvals}`,
        `  memory: ${counts(erased.memory)}`,
        `  run-input secret values: ${erased.inputSecrets}`,
        `kept: the audit chain of what crossed (npm run audit:verify), the outbox, the plane's own secrets, its configuration`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    if (err instanceof EraseRefusedError) {
      process.stderr.write(`data erase: ${err.code}: ${err.message}; nothing was deleted\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.end();
  }
}

runCli('data', main);
