import { SECRET_REF_RE } from '../../agents/tools.ts';
import type { ResolvedCommand } from '../guard/types.ts';

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
  return {
    ...command,
    pipeline: command.pipeline.map(([program, ...args]) => [
      program!,
      ...args.map((a) => a.replace(re, (_m, n: string) => values.get(n)!)),
    ]),
  };
}
