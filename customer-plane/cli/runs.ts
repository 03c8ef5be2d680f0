/**
 * `npm run runs -- list [--limit N] [--json]` and `npm run runs -- show <run id> [--json]`: a run's
 * steps, findings, patches and gate refusals, from the customer plane's own database (DATABASE_URL, or
 * its embedded Postgres in STATE_DIR).
 * Everything printed is local data; repository content in it is printed with control characters made
 * visible, so a file cannot drive the terminal.
 */
import { z } from 'zod';
import { loadConfig } from '../../shared/config.ts';
import { createDb } from '../../shared/db/pool.ts';
import { embeddedPostgresUrl } from '../../shared/db/embedded-postgres.ts';
import { ConfigError } from '../../shared/errors.ts';
import { ULID_RE } from '../../shared/ids.ts';
import { createRunRecords, type RunRecord, type RunSummary } from '../runner/ledger/records.ts';
import { formatRun, formatRunList } from './format-runs.ts';

const USAGE = 'usage: npm run runs -- list [--limit N] [--json]\n       npm run runs -- show <run id> [--json]';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [command, ...rest] = args;
  if (command !== 'list' && command !== 'show') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let limit = 20;
  if (command === 'list' && rest.length) {
    const n = rest[0] === '--limit' ? Number(rest[1]) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      process.stderr.write(`runs list: --limit takes a whole number from 1 to 1000\n${USAGE}\n`);
      return 2;
    }
    limit = n;
  }
  if (command === 'show' && (rest.length !== 1 || !ULID_RE.test(rest[0]))) {
    process.stderr.write(`runs show: give one run id (a ULID, as printed by \`npm run runs -- list\`)\n${USAGE}\n`);
    return 2;
  }
  const env = loadConfig(
    'runs',
    z.object({
      DATABASE_URL: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
        .optional(),
      STATE_DIR: z.string().default('.state/customer-plane'),
    }),
  );
  // Without DATABASE_URL, the plane's embedded Postgres (it must be running: the plane runs it).
  const databaseUrl = env.DATABASE_URL ?? embeddedUrl(env.STATE_DIR);
  const db = createDb({ databaseUrl, max: 1 });
  try {
    const records = createRunRecords(db);
    if (command === 'list') {
      const runs: RunSummary[] = await records.list(limit);
      process.stdout.write(json ? `${JSON.stringify(runs)}\n` : formatRunList(runs));
      return 0;
    }
    const run: RunRecord | undefined = await records.show(rest[0]);
    if (!run) {
      process.stderr.write(`runs show: no run ${rest[0]} in this customer plane's database\n`);
      return 1;
    }
    process.stdout.write(json ? `${JSON.stringify(run)}\n` : formatRun(run));
    return 0;
  } finally {
    await db.end();
  }
}

function embeddedUrl(stateDir: string): string {
  try {
    return embeddedPostgresUrl(stateDir, 'agentplane');
  } catch {
    throw new ConfigError('runs', [`DATABASE_URL is not set and ${stateDir} has no embedded Postgres: set DATABASE_URL or STATE_DIR`]);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    // A configuration error names the problem; anything else is reported by kind, not as a stack.
    process.stderr.write(
      `runs: ${e.code === 'config_invalid' ? e.message : `failed (${e.code ?? 'error'}): ${e.message ?? String(err)}`}\n`,
    );
    process.exit(e.code === 'config_invalid' ? 78 : 1);
  },
);
