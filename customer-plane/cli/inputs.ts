import { loadConfig } from '../../shared/config.ts';
import { createDb } from '../../shared/db/pool.ts';
import { ULID_RE } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { TEMPLATES } from '../../shared/boundary.ts';
import { secretStoreEnvSchema } from '../config.ts';
import { createRunInputs, type InputsRecord } from '../runner/ledger/inputs.ts';
import { migrateLedger } from '../runner/ledger/migrate.ts';
import { selectSecretBackend } from '../secrets/select.ts';
import { visible } from './terminal-text.ts';
import { readSecretLines, UsageError } from './stdin.ts';
import { cliDatabase, cliDatabaseEnvShape } from './database-url.ts';

export const INPUTS_USAGE = [
  '       npm run runs -- inputs put [--template T] [--param NAME=value]... [--secret NAME]... [--ttl-hours N] [--json]',
  '         (secret values on stdin, one line per --secret, in order)',
  '       npm run runs -- inputs show <inputs id> [--json]',
].join('\n');

type Parsed = { template?: string; params: Record<string, string>; secrets: string[]; ttlHours?: number };

function parsePut(args: string[]): Parsed {
  const out: Parsed = { params: {}, secrets: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--template') {
      if (!(TEMPLATES as readonly string[]).includes(value)) throw new UsageError(`--template: not a template (${TEMPLATES.join(', ')})`);
      out.template = value;
    } else if (flag === '--param') {
      const eq = value.indexOf('=');
      if (eq < 1) throw new UsageError('--param takes NAME=value');
      out.params[value.slice(0, eq)] = value.slice(eq + 1);
    } else if (flag === '--secret') out.secrets.push(value);
    else if (flag === '--ttl-hours') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 720) throw new UsageError('--ttl-hours takes a whole number from 1 to 720');
      out.ttlHours = n;
    } else throw new UsageError(`unknown option ${flag}`);
  }
  return out;
}

/**
 * `npm run runs -- inputs put|show`: inputs for one run, given here in the customer plane. Parameters
 * go to the local database, secret values to the secret store; the id printed is all a dispatch
 * carries (`POST /v1/workflows {"template", "repo", "inputs": "<id>"}`). `show` prints names, never
 * secret values.
 */
export async function inputsCommand(args: string[], json: boolean): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'put' && sub !== 'show') throw new UsageError('inputs: put or show');
  if (sub === 'show' && (rest.length !== 1 || !ULID_RE.test(rest[0]!))) throw new UsageError('inputs show: give one inputs id (a ULID)');
  const parsed = sub === 'put' ? parsePut(rest) : undefined;
  const env = loadConfig('runs', secretStoreEnvSchema.safeExtend({ DATABASE_URL: cliDatabaseEnvShape.DATABASE_URL }));
  const { databaseUrl, password } = cliDatabase('runs', env);
  const values = parsed?.secrets.length
    ? await readSecretLines(parsed.secrets.length, 'printf "%s\\n" "$TOKEN" | npm run runs -- inputs put --secret TOKEN')
    : [];
  await migrateLedger({ databaseUrl, log: silentLogger(), password });
  const db = createDb({ databaseUrl, max: 1, password });
  try {
    const inputs = createRunInputs({ db, backend: selectSecretBackend(env, env.STATE_DIR) });
    if (parsed) {
      const secrets = Object.fromEntries(parsed.secrets.map((n, i) => [n, values[i]!]));
      if (Object.keys(secrets).length !== parsed.secrets.length) throw new UsageError('a --secret name is given twice');
      const id = await inputs.create({
        template: parsed.template,
        params: parsed.params,
        secrets,
        ttlMs: parsed.ttlHours === undefined ? undefined : parsed.ttlHours * 3600_000,
      });
      process.stdout.write(json ? `${JSON.stringify({ inputs: id })}\n` : `${id}\n`);
      return 0;
    }
    const rec = await inputs.show(rest[0]!);
    if (!rec) {
      process.stderr.write(`runs inputs show: no inputs ${rest[0]} in this customer plane's database\n`);
      return 1;
    }
    process.stdout.write(json ? `${JSON.stringify(rec)}\n` : formatInputs(rec));
    return 0;
  } finally {
    await db.end();
  }
}

function formatInputs(r: InputsRecord): string {
  const lines = [
    `inputs ${r.id}${r.template ? ` for ${r.template}` : ''}`,
    `created ${r.createdAt}, expires ${r.expiresAt}`,
    r.runId
      ? `used by run ${r.runId}${r.discarded ? ' (secret values deleted)' : ''}`
      : r.discarded
        ? 'expired unused (secret values deleted)'
        : 'not used yet',
    ...Object.entries(r.params).map(([k, v]) => `param  ${k}=${visible(v)}`),
    ...r.secretNames.map((n) => `secret ${n} (value in the secret store; use it as {{secret:${n}}})`),
  ];
  return `${lines.join('\n')}\n`;
}
