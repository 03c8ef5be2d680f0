/**
 * `npm run environments -- hashes` prints each template's content hash (what production pins as
 * reviewed: the template and every agent it runs); `npm run environments -- check [file]` checks an
 * environments file (default ENVIRONMENTS_FILE, else the built-in defaults) as the customer plane does
 * at start, and names pinned reviews that no longer match.
 */
import { CATALOG } from '../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import { TEMPLATES } from '../../shared/boundary.ts';
import { ConfigError } from '../../shared/errors.ts';
import { loadEnvironments, stalePins } from '../environments/environments.ts';
import { templateHash } from '../environments/template-hash.ts';

const USAGE = 'usage: npm run environments -- hashes\n       npm run environments -- check [environments file]';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'hashes' && rest.length === 0) {
    for (const name of TEMPLATES) {
      const t = TEMPLATE_DEFINITIONS[name];
      if (t) process.stdout.write(`${name}: ${templateHash(t, CATALOG)}\n`);
    }
    return 0;
  }
  if (command === 'check' && rest.length <= 1) {
    const file = rest[0] ?? process.env.ENVIRONMENTS_FILE;
    try {
      const envs = await loadEnvironments({ file: file || undefined });
      for (const name of envs.names()) {
        const e = envs.getEnvironment(name)!;
        const reviewed = e.reviewed ? `, reviewed: ${Object.keys(e.reviewed).join(', ') || 'none'}` : '';
        process.stdout.write(
          `${name}: secrets ${e.secrets.prefix}*, writes ${e.writes}, approval deadline ${e.approval.deadlineSeconds} s (warning ${e.approval.warnBeforeSeconds} s before), templates: ${e.templates.join(', ')}${reviewed}\n`,
        );
      }
      const stale = stalePins(envs, TEMPLATE_DEFINITIONS, CATALOG);
      for (const s of stale)
        process.stdout.write(`stale: ${s.template} changed since it was reviewed for ${s.environment}; it will not run there\n`);
      return stale.length ? 1 : 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.problems.join('\n')}\n`);
      return 78;
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`environments: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
