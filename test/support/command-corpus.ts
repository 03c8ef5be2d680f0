import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registeredPrograms } from '../../customer-plane/guard/programs/registry.ts';
import type { CommandPolicy } from '../../customer-plane/guard/types.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'commands');

export type CorpusEntry = { command: string; group: string; line: number };

/** One command per line; `# …` lines name the group that follows; `@json "…"` lines hold commands with newlines. */
export function loadCorpus(file: 'dangerous.txt' | 'benign.txt' | 'consequential.txt'): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  let group = '';
  readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      if (raw.startsWith('#')) {
        group = raw.slice(1).trim();
        return;
      }
      const command = raw.startsWith('@json ') ? (JSON.parse(raw.slice(6)) as string) : raw;
      out.push({ command, group, line: i + 1 });
    });
  return out;
}

/** A coding agent given every program the guard's registry knows: the most a real agent definition could list. */
export const codingAgentPolicy: CommandPolicy = { programs: registeredPrograms() };

/**
 * A misconfigured agent whose list also names shells, wrappers, network clients and unknown tools:
 * refusals under this policy come from the guard's own rules, never from the agent's list.
 */
export const permissivePolicy: CommandPolicy = {
  programs: [
    ...registeredPrograms(),
    ...['sh', 'bash', 'zsh', 'dash', 'env', 'xargs', 'sudo', 'su', 'timeout', 'nice', 'nohup', 'exec', 'eval', 'source', '.'],
    ...['awk', 'perl', 'ruby', 'curl', 'wget', 'nc', 'ncat', 'ssh', 'scp', 'rsync', 'printenv', 'export', 'set', 'base64'],
    ...['shred', 'truncate', 'dd', 'compgen', 'less', 'vim', 'npx', 'strace', 'cd', 'alias', 'busybox', 'python', 'x'],
  ],
};
