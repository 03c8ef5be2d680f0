import { envSecretName } from '../../agents/command-env.ts';
import { SECRET_REF_RE, WHOLE_SECRET_REF_RE } from '../../agents/secret-reference.ts';
import type { ResolvedCommand } from '../guard/types.ts';
import { SecretReferenceError } from './run-secrets.ts';

/** The secret names a text references as `{{secret:NAME}}`, each once, in order. */
export function secretReferences(text: string): string[] {
  return [...new Set([...text.matchAll(new RegExp(SECRET_REF_RE.source, 'g'))].map((m) => m[1]!))];
}

export function commandReferences(command: ResolvedCommand): string[] {
  return secretReferences(command.pipeline.flatMap((argv) => argv.slice(1)).join('\n'));
}

/**
 * The command with every `{{secret:NAME}}` in its arguments replaced by the value, read now. Only
 * arguments: never a program name, never a redirection target (those stay literal text). The argv
 * with values exists only in this copy, handed to the runner and dropped when the command ends.
 */
export async function substituteSecrets(command: ResolvedCommand, resolve: (name: string) => Promise<string>): Promise<ResolvedCommand> {
  const names = commandReferences(command);
  if (names.length === 0) return command;
  const values = new Map<string, string>();
  for (const name of names) values.set(name, await resolve(name));
  const re = new RegExp(SECRET_REF_RE.source, 'g');
  const substitute = (arg: string): string => {
    const only = WHOLE_SECRET_REF_RE.exec(arg);
    // The guard checked an operand here; a value that starts with `-` would reach the program as an option.
    if (only && values.get(only[1]!)!.startsWith('-'))
      throw new SecretReferenceError(
        'secret_value_unsafe',
        `the secret ${only[1]} starts with "-" and would be read as an option; put the reference after a fixed prefix such as --token=`,
      );
    return arg.replace(re, (_m, n: string) => values.get(n)!);
  };
  return { ...command, pipeline: command.pipeline.map(([program, ...args]) => [program!, ...args.map(substitute)]) };
}

/**
 * run_command's `env` with each `{{secret:NAME}}` replaced by the value, read now: the variables the runner
 * adds to the command's scrubbed environment (where it can never replace PATH, HOME or the git settings).
 * A value that is not exactly one reference cannot pass the gate's schema; it is refused here too rather
 * than set as literal text.
 */
export async function substituteEnv(
  env: Record<string, string>,
  resolve: (name: string) => Promise<string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [variable, ref] of Object.entries(env)) {
    const name = envSecretName(ref);
    if (name === undefined) throw new SecretReferenceError('secret_unknown', `${variable} is not set to exactly one secret reference`);
    const value = await resolve(name);
    // The environment is a list of NUL-terminated strings: such a value cannot be passed whole.
    if (value.includes('\0'))
      throw new SecretReferenceError('secret_value_unsafe', `the secret ${name} contains a NUL byte and cannot be an environment variable`);
    out[variable] = value;
  }
  return out;
}
