import type { SyntaxNode } from '../types.ts';
import { findAll, walk } from '../support/syntax.ts';

/** Shell scripts (Dockerfile RUN, CI `run:` steps) read on the tree-sitter-bash tree. */

const FETCHERS = new Set(['curl', 'wget']);
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'python', 'python3', 'perl', 'ruby', 'node']);
const PREFIXES = new Set(['sudo', 'env', 'exec', 'command', 'nice', 'time']);

/** The program a command runs, looking through `sudo`/`env` prefixes (`sudo -E bash` → bash). */
function programOf(command: SyntaxNode): string {
  const name = command.childForFieldName('name')?.text ?? '';
  if (!PREFIXES.has(name)) return name;
  const words = command.namedChildren.slice(1).filter((c) => c.type === 'word' && !c.text.startsWith('-') && !c.text.includes('='));
  return words[0]?.text ?? name;
}
const SUBSTITUTIONS = new Set(['command_substitution', 'process_substitution']);
const fetches = (n: SyntaxNode) => findAll(n, 'command').some((c) => FETCHERS.has(programOf(c)));

/**
 * Lines (0-based, within the script) where downloaded content is run by an interpreter without being
 * checked: `curl … | sh`, `bash -c "$(curl …)"`, `sh <(wget …)`.
 */
export function pipeToShellRows(root: SyntaxNode): number[] {
  const rows: number[] = [];
  walk(root, (n) => {
    if (n.type === 'pipeline') {
      const stages = n.namedChildren.filter((c) => c.type === 'command');
      const fetchAt = stages.findIndex((c) => FETCHERS.has(programOf(c)));
      if (fetchAt >= 0 && stages.slice(fetchAt + 1).some((c) => INTERPRETERS.has(programOf(c)))) {
        rows.push(n.startPosition.row);
        return false;
      }
    }
    if (n.type === 'command' && INTERPRETERS.has(programOf(n))) {
      // The interpreter's own arguments run fetched text: `bash -c "$(curl …)"`, `sh <(wget …)`.
      const fed = n.namedChildren.slice(1).some((a) => findAll(a, SUBSTITUTIONS).some(fetches));
      if (fed) {
        rows.push(n.startPosition.row);
        return false;
      }
    }
    return undefined;
  });
  return rows;
}
