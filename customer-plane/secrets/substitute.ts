import { SECRET_REF_RE } from '../../agents/tools.ts';
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
  const whole = new RegExp(`^${SECRET_REF_RE.source}$`);
  const substitute = (arg: string): string => {
    const only = whole.exec(arg);
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
