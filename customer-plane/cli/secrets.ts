/**
 * `npm run secrets -- list <scope>`, `put <scope> <NAME>` (the value on stdin), `delete <scope> <NAME>`:
 * the secrets runs may use by reference (`{{secret:NAME}}`), in the store the customer plane uses
 * (SECRETS_BACKEND: the 0600 file under STATE_DIR, or AWS Secrets Manager). A scope is an
 * environment's prefix, e.g. `sandbox/`. Values are never printed.
 */
import { loadConfig } from '../../shared/config.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import { secretStoreEnvSchema } from '../config.ts';
import { createSecretsProvider, type SecretScope } from '../secrets/provider.ts';
import { selectSecretBackend } from '../secrets/select.ts';
import { SecretNameError } from '../secrets/errors.ts';
import { readSecretLines, UsageError } from './stdin.ts';

const USAGE = [
  'usage: npm run secrets -- list <scope>',
  '       printf %s "$VALUE" | npm run secrets -- put <scope> <NAME>',
  '       npm run secrets -- delete <scope> <NAME>',
  'a scope is an environment prefix such as sandbox/ ; a NAME is a letter or _ then letters, digits or _',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const [command, scopeArg, name, ...extra] = argv;
  const arity = { list: 1, put: 2, delete: 2 }[command as 'list' | 'put' | 'delete'];
  if (arity === undefined || argv.length - 1 !== arity || extra.length)
    throw new UsageError('unknown command or wrong number of arguments');
  const scope: SecretScope = { prefix: scopeArg!.endsWith('/') ? scopeArg! : `${scopeArg}/` };
  const env = loadConfig('secrets', secretStoreEnvSchema);
  const provider = createSecretsProvider(selectSecretBackend(env, env.STATE_DIR));
  if (command === 'list') {
    const names = await provider.names(scope);
    process.stdout.write(names.length ? `${names.join('\n')}\n` : '');
    return 0;
  }
  if (command === 'delete') {
    await provider.delete(scope, name!);
    process.stderr.write(`deleted ${scope.prefix}${name}\n`);
    return 0;
  }
  const [value] = await readSecretLines(1, `printf %s "$VALUE" | npm run secrets -- put ${scope.prefix} ${name}`);
  await provider.put(scope, name!, value!);
  process.stderr.write(`stored ${scope.prefix}${name}: runs in that scope may use it as {{secret:${name}}}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof SecretNameError) {
      process.stderr.write(`secrets: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    const e = err as { code?: string; message?: string };
    if (e.code === 'config_invalid') {
      process.stderr.write(`secrets: ${e.message}\n`);
      process.exit(78);
    }
    // Store errors name the operation, never a value.
    process.stderr.write(`secrets: failed (${err instanceof AgentplaneError ? err.code : 'error'}): ${e.message ?? String(err)}\n`);
    process.exit(1);
  },
);
