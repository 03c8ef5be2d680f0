import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { checkOperands, type OptionSpec, parseOptions } from './options.ts';

/**
 * Python linters the lint-runner agent starts. Ruff is a static binary that reads the repository's
 * files and config and executes none of it, so it does not count as running repository code; it may
 * only report (`check` without `--fix`), never rewrite files. flake8 loads plugins named in the
 * repository's own config (`[flake8:local-plugins]` with `paths`), i.e. it can run repository code.
 */
const RUFF_CHECK: OptionSpec = {
  flags: 'eq',
  long: {
    '--output-format': 'value',
    '--select': 'value',
    '--extend-select': 'value',
    '--ignore': 'value',
    '--extend-ignore': 'value',
    '--line-length': 'value',
    '--target-version': 'value',
    '--exclude': 'value',
    '--extend-exclude': 'value',
    '--config': 'path',
    '--no-cache': 'flag',
    '--no-fix': 'flag',
    '--exit-zero': 'flag',
    '--statistics': 'flag',
    '--show-fixes': 'flag',
    '--isolated': 'flag',
    '--quiet': 'flag',
    '--preview': 'flag',
    '--no-preview': 'flag',
  },
  operands: 'paths',
};

export function checkRuff(args: readonly string[]): Allowed | Refusal {
  if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) return { consequences: [], runsRepositoryCode: false };
  const [sub, ...rest] = args;
  if (sub !== 'check') return refuse('subcommand_not_allowed', `ruff ${sub ?? ''} is not allowed (only ruff check)`);
  const parsed = parseOptions(rest, RUFF_CHECK, 'ruff check');
  if (isRefusal(parsed)) return parsed;
  return checkOperands('ruff check', parsed, RUFF_CHECK.operands) ?? { consequences: [], runsRepositoryCode: false };
}

export const flake8Spec: OptionSpec = {
  flags: 'qv',
  short: { j: 'value' },
  long: {
    '--max-line-length': 'value',
    '--max-complexity': 'value',
    '--select': 'value',
    '--extend-select': 'value',
    '--ignore': 'value',
    '--extend-ignore': 'value',
    '--exclude': 'value',
    '--extend-exclude': 'value',
    '--format': 'value',
    '--count': 'flag',
    '--statistics': 'flag',
    '--show-source': 'flag',
    '--exit-zero': 'flag',
    '--isolated': 'flag',
    '--config': 'path',
    '--append-config': 'path',
    '--output-file': 'output',
    '--tee': 'flag',
    '--jobs': 'value',
    '--quiet': 'flag',
    '--version': 'flag',
  },
  operands: 'paths',
  runsRepositoryCode: true,
};
