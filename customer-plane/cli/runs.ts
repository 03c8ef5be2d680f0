/**
 * `npm run runs -- list [--limit N] [--json]` and `npm run runs -- show <run id> [--json]`: a run's
 * steps, findings, patches and gate refusals, from the customer plane's own database (DATABASE_URL, or
 * its embedded Postgres in STATE_DIR).
 * `npm run runs -- inputs put|show`: inputs for a run, given locally (cli/inputs.ts).
 * Everything printed is local data; repository content in it is printed with control characters made
 * visible, so a file cannot drive the terminal.
 */
import { openCliDatabase } from './database-url.ts';
import { ULID_RE } from '../../shared/ids.ts';
import { createRunRecords, type RunRecord, type RunSummary } from '../runner/ledger/records.ts';
import { formatRun, formatRunList } from './format-runs.ts';
import { INPUTS_USAGE, inputsCommand } from './inputs.ts';
import { UsageError } from './stdin.ts';
import { InputsError } from '../runner/ledger/inputs.ts';
import { runCli } from './run-cli.ts';

const USAGE = `usage: npm run runs -- list [--limit N] [--json]\n       npm run runs -- show <run id> [--json]\n${INPUTS_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [command, ...rest] = args;
  if (command === 'inputs') {
    try {
      return await inputsCommand(rest, json);
    } catch (err) {
      if (!(err instanceof UsageError) && !(err instanceof InputsError)) throw err;
      process.stderr.write(`runs inputs: ${err.message}\n${USAGE}\n`);
      return 2;
    }
  }
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
  const db = openCliDatabase('runs');
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

runCli('runs', main);
