import { AgentplaneError } from '../../shared/errors.ts';

/** A CLI was used the wrong way: exit code 2 with the message and the usage. */
export class UsageError extends AgentplaneError {
  constructor(message: string) {
    super('usage', message);
  }
}

/**
 * Secret values come on stdin, never as arguments (which shell history and `ps` keep). A terminal
 * is refused rather than echo the value back; `count` lines are read (one value per line).
 */
export async function readSecretLines(count: number, example: string): Promise<string[]> {
  if (process.stdin.isTTY) throw new UsageError(`give the secret value on stdin, not typed at a terminal, e.g. ${example}`);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== count)
    throw new UsageError(`expected ${count} value${count === 1 ? '' : 's'} on stdin, one per line; got ${lines.length}`);
  return lines;
}
