/**
 * `npm run memory -- <command>`: the customer's hands on the agent memory in its own database
 * (DATABASE_URL; the AUTONOMY_* thresholds as the customer plane reads them).
 *
 *   forget --repo <alias>               delete everything memory holds of one repository
 *   forget --all                        delete everything memory holds (with the agents' standing)
 *   levels [--env <name>]… [--json]     each agent's autonomy level per environment
 *   override --agent <name> --env <name> [--repo <alias>] [--ref <id>]
 *                                       a person overrode the agent (reverted its patch, rejected its action)
 *   reset --agent <name> --env <name>   put the agent back at the start level in that environment
 */
import { z } from 'zod';
import { AGENT_NAMES, type AgentName } from '../../shared/boundary.ts';
import { loadConfig } from '../../shared/config.ts';
import { createDb } from '../../shared/db/pool.ts';
import { REPO_ALIAS_RE } from '../../shared/dispatch.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/log.ts';
import { memoryConfigOf, memoryEnvShape } from '../memory/config.ts';
import { createMemory } from '../memory/memory.ts';
import { migrateMemory } from '../memory/migrate.ts';
import type { AutonomyRow } from '../memory/standing.ts';
import { cliDatabase, cliDatabaseEnvShape } from './database-url.ts';
import { runCli } from './run-cli.ts';

const USAGE = [
  'usage: npm run memory -- forget --repo <alias> | --all',
  '       npm run memory -- levels [--env <name>]… [--json]',
  '       npm run memory -- override --agent <name> --env <name> [--repo <alias>] [--ref <id>]',
  '       npm run memory -- reset --agent <name> --env <name>',
].join('\n');
const ENV_RE = /^[a-z][a-z0-9-]{0,39}$/;
const REF_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const DEFAULT_ENVIRONMENTS = ['sandbox', 'preview', 'production'];

class UsageError extends AgentplaneError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** `--flag value` pairs (a flag may repeat); `--json` and `--all` stand alone. Anything else is a usage error. */
function parseFlags(args: string[]): { values: Map<string, string[]>; switches: Set<string> } {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json' || a === '--all') switches.add(a);
    else if (['--repo', '--env', '--agent', '--ref'].includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      values.set(a, [...(values.get(a) ?? []), v]);
    } else throw new UsageError(`unknown argument: ${JSON.stringify(a).slice(0, 80)}`);
  }
  return { values, switches };
}

function one(values: Map<string, string[]>, flag: string, re: RegExp, what: string): string {
  const v = values.get(flag) ?? [];
  if (v.length !== 1) throw new UsageError(`give ${flag} once`);
  if (!re.test(v[0])) throw new UsageError(`${flag}: ${what}`);
  return v[0];
}

function agentOf(values: Map<string, string[]>): AgentName {
  const v = values.get('--agent') ?? [];
  if (v.length !== 1 || !(AGENT_NAMES as readonly string[]).includes(v[0]))
    throw new UsageError(`--agent: one of ${AGENT_NAMES.join(', ')}`);
  return v[0] as AgentName;
}

function formatLevels(rows: AutonomyRow[]): string {
  const head = ['ENVIRONMENT', 'AGENT', 'LEVEL', 'SUCCESS', 'OK', 'FAILED', 'OVERRIDES', 'FAILED IN A ROW', 'CHANGED'];
  const lines = rows.map((r) => [
    r.environment,
    r.agent,
    r.level,
    `${Math.round(r.successRate * 100)}%`,
    String(r.successes),
    String(r.failures),
    String(r.overrides),
    String(r.consecutiveFailures),
    r.changedAt ? `${r.changedAt.slice(0, 19)} (${r.changeReason})` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return `${[head, ...lines]
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let flags: ReturnType<typeof parseFlags>;
  try {
    if (!['forget', 'levels', 'override', 'reset'].includes(command ?? '')) throw new UsageError('name a command');
    flags = parseFlags(rest);
    if (command === 'forget') {
      const all = flags.switches.has('--all');
      if (all === flags.values.has('--repo')) throw new UsageError('forget takes either --repo <alias> or --all');
      if (!all) one(flags.values, '--repo', REPO_ALIAS_RE, 'a repository alias (lowercase letters, digits, dashes)');
    }
    if (command === 'override' || command === 'reset') {
      agentOf(flags.values);
      one(flags.values, '--env', ENV_RE, 'an environment name (lowercase letters, digits, dashes)');
      if (flags.values.has('--ref')) one(flags.values, '--ref', REF_RE, 'an id (letters, digits, . _ : -)');
      if (command === 'override' && flags.values.has('--repo'))
        one(flags.values, '--repo', REPO_ALIAS_RE, 'a repository alias (lowercase letters, digits, dashes)');
      if (command === 'reset' && flags.values.has('--repo'))
        throw new UsageError('reset takes no --repo: a level is per agent and environment');
    }
    for (const e of command === 'levels' ? (flags.values.get('--env') ?? []) : [])
      if (!ENV_RE.test(e)) throw new UsageError('--env: an environment name (lowercase letters, digits, dashes)');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`memory: ${err.message}\n${USAGE}\n`);
    return 2;
  }

  const env = loadConfig('memory', z.object({ ...cliDatabaseEnvShape, ...memoryEnvShape }));
  const { databaseUrl, password } = cliDatabase('memory', env);
  // Errors reach the operator through the exit path below; nothing this CLI does logs otherwise.
  const log = silentLogger();
  await migrateMemory({ databaseUrl, log, password });
  const db = createDb({ databaseUrl, max: 1, password });
  try {
    // The CLI never runs agents: tenant and LLM identity only key model turns, which it does not touch.
    const memory = createMemory({ db, config: memoryConfigOf(env), log, tenant: 'cli', llmIdentity: 'cli' });
    const { values, switches } = flags;
    if (command === 'forget') {
      const gone = await memory.forget(switches.has('--all') ? { all: true } : { repo: values.get('--repo')![0] });
      const total = Object.values(gone).reduce((n, x) => n + x, 0);
      const what = switches.has('--all') ? 'everything' : `repository ${values.get('--repo')![0]}`;
      process.stdout.write(
        `forgot ${what}: ${total} rows (${Object.entries(gone)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')})\n`,
      );
      return 0;
    }
    if (command === 'levels') {
      const environments = values.get('--env') ?? DEFAULT_ENVIRONMENTS;
      const rows = (await memory.autonomyLevels({ agents: AGENT_NAMES, environments })).filter((r) => environments.includes(r.environment));
      process.stdout.write(switches.has('--json') ? `${JSON.stringify(rows)}\n` : formatLevels(rows));
      return 0;
    }
    const agent = agentOf(values);
    const environment = values.get('--env')![0];
    if (command === 'override') {
      const change = await memory.recordOverride({ agent, environment, ref: values.get('--ref')?.[0], repo: values.get('--repo')?.[0] });
      process.stdout.write(
        change
          ? `override recorded: ${agent} in ${environment} is now ${change.to} (was ${change.from})\n`
          : `override recorded for ${agent} in ${environment}\n`,
      );
      return 0;
    }
    const level = await memory.resetStanding(agent, environment);
    process.stdout.write(`${agent} in ${environment} is back at ${level}\n`);
    return 0;
  } finally {
    await db.end();
  }
}

runCli('memory', main);
