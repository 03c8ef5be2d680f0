import type { Consequence } from '../../../agents/tools.ts';
import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { firstBad, type OptionKind, type OptionSpec, parseOptions } from './options.ts';

/**
 * git: only `--no-pager` may come before the subcommand. The global options that redirect git to other
 * repositories, programs or configuration (-c, -C, --git-dir, --work-tree, -p, --exec-path,
 * --config-env, --namespace) are not listed, so they are refused. Each subcommand has its own option
 * allow-list; options that run programs (`--ext-diff`, `-O/--open-files-in-pager`, `--upload-pack`,
 * `--receive-pack`, `--exec`, `-x`), write files outside the index (`--output`), sign (`-S`), or open
 * an editor or interactive mode are not listed. Operands (revisions and paths) may not be absolute or
 * climb out with `..`. Hooks, fsmonitor, pagers and other configured programs are switched off by the
 * runner's environment, because a repository's own .git/config is something the guard cannot see.
 */
type Sub = {
  spec: OptionSpec;
  consequences?: Consequence[];
  check?: (operands: string[], seen: Map<string, string | true>) => Refusal | undefined;
};

const diffOptions: Record<string, OptionKind> = {
  '--stat': 'optional',
  '--numstat': 'flag',
  '--shortstat': 'flag',
  '--name-only': 'flag',
  '--name-status': 'flag',
  '--summary': 'flag',
  '--raw': 'flag',
  '--patch': 'flag',
  '--no-patch': 'flag',
  '--unified': 'value',
  '--color': 'optional',
  '--no-color': 'flag',
  '--word-diff': 'optional',
  '--ignore-all-space': 'flag',
  '--ignore-space-change': 'flag',
  '--ignore-blank-lines': 'flag',
  '--diff-filter': 'value',
  '--find-renames': 'optional',
  '--no-renames': 'flag',
  '--relative': 'optional',
  '--minimal': 'flag',
  '--histogram': 'flag',
  '--patience': 'flag',
  '--abbrev': 'optional',
  '--no-prefix': 'flag',
  '--full-index': 'flag',
  '--binary': 'flag',
  '--quiet': 'flag',
  '--exit-code': 'flag',
  '--check': 'flag',
  '--no-ext-diff': 'flag',
  '--no-textconv': 'flag',
};
const logOptions: Record<string, OptionKind> = {
  ...diffOptions,
  '--oneline': 'flag',
  '--graph': 'flag',
  '--decorate': 'optional',
  '--no-decorate': 'flag',
  '--all': 'flag',
  '--branches': 'optional',
  '--tags': 'optional',
  '--remotes': 'optional',
  '--reverse': 'flag',
  '--no-merges': 'flag',
  '--merges': 'flag',
  '--first-parent': 'flag',
  '--abbrev-commit': 'flag',
  '--follow': 'flag',
  '--format': 'value',
  '--pretty': 'optional',
  '--author': 'value',
  '--committer': 'value',
  '--since': 'value',
  '--until': 'value',
  '--after': 'value',
  '--before': 'value',
  '--grep': 'value',
  '--date': 'value',
  '--max-count': 'value',
  '--skip': 'value',
  '--topo-order': 'flag',
  '--date-order': 'flag',
  '--left-right': 'flag',
  '--cherry-pick': 'flag',
  '--count': 'flag',
  '--full-diff': 'flag',
  '--cc': 'flag',
  '--pickaxe-regex': 'flag',
  '--regexp-ignore-case': 'flag',
};
const logSpec: OptionSpec = {
  flags: 'pswzRMi',
  short: { n: 'value', S: 'value', G: 'value', U: 'value' },
  long: logOptions,
  numeric: true,
  operands: 'paths',
};
const diffSpec: OptionSpec = {
  flags: 'pwbzRM',
  short: { U: 'value' },
  long: { ...diffOptions, '--cached': 'flag', '--staged': 'flag', '--merge-base': 'flag' },
  operands: 'paths',
};
const spec = (s: Omit<OptionSpec, 'operands'> & { operands?: OptionSpec['operands'] }): OptionSpec => ({ operands: 'paths', ...s });

const STASH_ACTIONS = new Set(['list', 'show', 'pop', 'apply', 'drop', 'push']);
const CONFIG_WRITABLE = new Set(['user.name', 'user.email']);

const SUBCOMMANDS: Record<string, Sub> = {
  status: {
    spec: spec({
      flags: 'sbvz',
      short: { u: 'optional' },
      long: {
        '--short': 'flag',
        '--branch': 'flag',
        '--porcelain': 'optional',
        '--long': 'flag',
        '--untracked-files': 'optional',
        '--ignored': 'optional',
        '--verbose': 'flag',
        '--show-stash': 'flag',
        '--ahead-behind': 'flag',
        '--no-ahead-behind': 'flag',
      },
    }),
  },
  diff: { spec: diffSpec },
  log: { spec: logSpec },
  show: { spec: logSpec },
  shortlog: {
    spec: spec({
      flags: 'sne',
      long: { '--summary': 'flag', '--numbered': 'flag', '--email': 'flag', '--all': 'flag', '--since': 'value', '--until': 'value' },
    }),
  },
  'ls-files': {
    spec: spec({
      flags: 'cdmoiksuvtz',
      short: { x: 'value' },
      long: {
        '--cached': 'flag',
        '--deleted': 'flag',
        '--modified': 'flag',
        '--others': 'flag',
        '--ignored': 'flag',
        '--stage': 'flag',
        '--unmerged': 'flag',
        '--exclude-standard': 'flag',
        '--error-unmatch': 'flag',
        '--full-name': 'flag',
        '--directory': 'flag',
        '--exclude': 'value',
        '--format': 'value',
        '--deduplicate': 'flag',
      },
    }),
  },
  'ls-tree': {
    spec: spec({
      flags: 'rdtlz',
      long: {
        '--name-only': 'flag',
        '--name-status': 'flag',
        '--full-name': 'flag',
        '--full-tree': 'flag',
        '--long': 'flag',
        '--abbrev': 'optional',
      },
    }),
  },
  blame: {
    spec: spec({
      flags: 'wMCesflnpbc',
      short: { L: 'value' },
      long: {
        '--porcelain': 'flag',
        '--line-porcelain': 'flag',
        '--show-email': 'flag',
        '--date': 'value',
        '--root': 'flag',
        '--minimal': 'flag',
        '--abbrev': 'optional',
      },
    }),
  },
  'rev-parse': {
    spec: spec({
      flags: 'q',
      long: {
        '--short': 'optional',
        '--abbrev-ref': 'optional',
        '--show-toplevel': 'flag',
        '--show-prefix': 'flag',
        '--show-cdup': 'flag',
        '--git-dir': 'flag',
        '--is-inside-work-tree': 'flag',
        '--verify': 'flag',
        '--symbolic-full-name': 'flag',
        '--quiet': 'flag',
      },
    }),
  },
  'rev-list': {
    spec: spec({
      numeric: true,
      short: { n: 'value' },
      long: {
        '--count': 'flag',
        '--all': 'flag',
        '--max-count': 'value',
        '--reverse': 'flag',
        '--first-parent': 'flag',
        '--no-merges': 'flag',
      },
    }),
  },
  'merge-base': { spec: spec({ flags: 'a', long: { '--is-ancestor': 'flag', '--all': 'flag', '--fork-point': 'flag' } }) },
  'cat-file': { spec: spec({ flags: 'ptse' }) },
  'show-ref': { spec: spec({ flags: 's', long: { '--heads': 'flag', '--tags': 'flag', '--hash': 'optional', '--verify': 'flag' } }) },
  'diff-tree': { spec: spec({ flags: 'rtpz', long: { ...diffOptions, '--no-commit-id': 'flag', '--root': 'flag' } }) },
  describe: {
    spec: spec({
      long: {
        '--tags': 'flag',
        '--always': 'flag',
        '--abbrev': 'optional',
        '--dirty': 'optional',
        '--long': 'flag',
        '--all': 'flag',
        '--exact-match': 'flag',
        '--match': 'value',
      },
    }),
  },
  grep: {
    spec: spec({
      flags: 'nliwcvEFGPhHIoqz',
      short: { e: 'value', f: 'path', A: 'value', B: 'value', C: 'value', m: 'value' },
      long: {
        '--untracked': 'flag',
        '--cached': 'flag',
        '--line-number': 'flag',
        '--ignore-case': 'flag',
        '--word-regexp': 'flag',
        '--count': 'flag',
        '--files-with-matches': 'flag',
        '--files-without-match': 'flag',
        '--extended-regexp': 'flag',
        '--fixed-strings': 'flag',
        '--heading': 'flag',
        '--break': 'flag',
        '--show-function': 'flag',
        '--max-depth': 'value',
        '--color': 'optional',
      },
    }),
  },
  branch: {
    spec: spec({
      flags: 'avrldDmM',
      long: {
        '--all': 'flag',
        '--remotes': 'flag',
        '--verbose': 'flag',
        '--list': 'flag',
        '--show-current': 'flag',
        '--merged': 'optional',
        '--no-merged': 'optional',
        '--contains': 'optional',
        '--sort': 'value',
        '--format': 'value',
      },
    }),
  },
  tag: {
    spec: spec({
      flags: 'lda',
      short: { m: 'value', n: 'optional' },
      long: {
        '--list': 'flag',
        '--sort': 'value',
        '--contains': 'optional',
        '--points-at': 'value',
        '--annotate': 'flag',
        '--delete': 'flag',
      },
    }),
  },
  add: {
    spec: spec({
      flags: 'AunNfv',
      long: { '--all': 'flag', '--update': 'flag', '--dry-run': 'flag', '--intent-to-add': 'flag', '--force': 'flag', '--verbose': 'flag' },
    }),
  },
  commit: {
    spec: spec({
      flags: 'aqnsv',
      short: { m: 'value', F: 'path', C: 'value' },
      long: {
        '--message': 'value',
        '--file': 'path',
        '--all': 'flag',
        '--amend': 'flag',
        '--no-edit': 'flag',
        '--allow-empty': 'flag',
        '--allow-empty-message': 'flag',
        '--author': 'value',
        '--date': 'value',
        '--signoff': 'flag',
        '--quiet': 'flag',
        '--no-verify': 'flag',
        '--fixup': 'value',
      },
    }),
  },
  checkout: {
    spec: spec({
      flags: 'qfm',
      short: { b: 'value', B: 'value' },
      long: { '--detach': 'flag', '--quiet': 'flag', '--force': 'flag', '--ours': 'flag', '--theirs': 'flag' },
    }),
  },
  switch: {
    spec: spec({
      flags: 'dfq',
      short: { c: 'value', C: 'value' },
      long: { '--detach': 'flag', '--create': 'value', '--force-create': 'value', '--discard-changes': 'flag', '--quiet': 'flag' },
    }),
  },
  restore: {
    spec: spec({
      flags: 'SWq',
      short: { s: 'value' },
      long: { '--source': 'value', '--staged': 'flag', '--worktree': 'flag', '--quiet': 'flag', '--ours': 'flag', '--theirs': 'flag' },
    }),
  },
  reset: { spec: spec({ flags: 'q', long: { '--soft': 'flag', '--mixed': 'flag', '--quiet': 'flag' } }) },
  stash: {
    spec: spec({
      flags: 'uqkp',
      short: { m: 'value' },
      long: {
        '--include-untracked': 'flag',
        '--keep-index': 'flag',
        '--message': 'value',
        '--quiet': 'flag',
        '--index': 'flag',
        '--stat': 'flag',
      },
    }),
    check: (ops) =>
      ops[0] === undefined || STASH_ACTIONS.has(ops[0])
        ? firstBad(ops.slice(1), 'read')
        : refuse('subcommand_not_allowed', `git stash ${ops[0]}`),
  },
  merge: {
    spec: spec({
      flags: 'q',
      short: { m: 'value', X: 'value' },
      long: {
        '--no-ff': 'flag',
        '--ff-only': 'flag',
        '--squash': 'flag',
        '--abort': 'flag',
        '--continue': 'flag',
        '--no-edit': 'flag',
        '--no-commit': 'flag',
        '--stat': 'flag',
      },
    }),
  },
  rebase: {
    spec: spec({
      long: { '--abort': 'flag', '--continue': 'flag', '--skip': 'flag', '--quit': 'flag', '--onto': 'value', '--autostash': 'flag' },
    }),
  },
  'cherry-pick': {
    spec: spec({
      flags: 'nx',
      short: { m: 'value' },
      long: { '--abort': 'flag', '--continue': 'flag', '--skip': 'flag', '--no-commit': 'flag' },
    }),
  },
  revert: {
    spec: spec({
      flags: 'n',
      short: { m: 'value' },
      long: { '--no-edit': 'flag', '--no-commit': 'flag', '--abort': 'flag', '--continue': 'flag' },
    }),
  },
  mv: { spec: spec({ flags: 'fkvn', operands: 'outputs' }) },
  rm: {
    spec: spec({
      flags: 'qn',
      long: { '--cached': 'flag', '--quiet': 'flag', '--dry-run': 'flag', '--ignore-unmatch': 'flag' },
      operands: 'outputs',
    }),
    consequences: ['delete'],
  },
  apply: {
    spec: spec({
      flags: 'vR',
      short: { p: 'value' },
      long: {
        '--check': 'flag',
        '--stat': 'flag',
        '--numstat': 'flag',
        '--summary': 'flag',
        '--index': 'flag',
        '--cached': 'flag',
        '--3way': 'flag',
        '--reverse': 'flag',
        '--whitespace': 'value',
      },
    }),
  },
  config: {
    spec: spec({ flags: 'l', long: { '--get': 'flag', '--get-all': 'flag', '--list': 'flag', '--local': 'flag' }, operands: 'values' }),
    check: (ops, seen) => {
      if (seen.has('-l') || seen.has('--list'))
        return ops.length === 0 ? undefined : refuse('invalid_arguments', 'git config --list takes no operands');
      if (ops.length === 1) return undefined;
      if (ops.length === 2 && !seen.has('--get') && !seen.has('--get-all') && CONFIG_WRITABLE.has(ops[0]!)) return undefined;
      return refuse('subcommand_not_allowed', `git config may only read settings or set ${[...CONFIG_WRITABLE].join(', ')}`);
    },
  },
  remote: {
    spec: spec({ flags: 'v', operands: 'values' }),
    check: (ops) => (ops.length === 0 ? undefined : refuse('subcommand_not_allowed', `git remote ${ops[0]}`)),
  },
  push: {
    spec: spec({
      flags: 'fuqvn',
      long: {
        '--force-with-lease': 'optional',
        '--set-upstream': 'flag',
        '--tags': 'flag',
        '--dry-run': 'flag',
        '--follow-tags': 'flag',
        '--quiet': 'flag',
        '--verbose': 'flag',
        '--no-verify': 'flag',
        '--force': 'flag',
        '--delete': 'flag',
      },
      operands: 'values',
    }),
    consequences: ['push'],
  },
  fetch: {
    spec: spec({
      flags: 'qvp',
      long: { '--all': 'flag', '--prune': 'flag', '--tags': 'flag', '--depth': 'value', '--quiet': 'flag', '--dry-run': 'flag' },
      operands: 'values',
    }),
    consequences: ['network'],
  },
  pull: {
    spec: spec({
      flags: 'qv',
      long: { '--rebase': 'optional', '--ff-only': 'flag', '--no-rebase': 'flag', '--quiet': 'flag' },
      operands: 'values',
    }),
    consequences: ['network'],
  },
  version: { spec: spec({ operands: 'none' }) },
};

export function checkGit(args: readonly string[]): Allowed | Refusal {
  let i = 0;
  while (args[i] === '--no-pager') i++;
  const sub = args[i];
  if (sub === undefined) return refuse('invalid_arguments', 'git needs a subcommand');
  if (sub === '--version')
    return i === args.length - 1
      ? { consequences: [], runsRepositoryCode: false }
      : refuse('invalid_arguments', 'git --version takes nothing else');
  if (sub.startsWith('-')) return refuse('flag_not_allowed', `git global option ${sub} is not allowed`);
  const rule = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!rule) return refuse('subcommand_not_allowed', `git ${sub} is not allowed`);
  const parsed = parseOptions(args.slice(i + 1), rule.spec, `git ${sub}`);
  if (isRefusal(parsed)) return parsed;
  const { operands } = rule.spec;
  let bad: Refusal | undefined;
  if (operands === 'paths') bad = firstBad(parsed.operands, 'read');
  else if (operands === 'outputs') bad = firstBad(parsed.operands, 'write');
  else if (operands === 'none' && parsed.operands.length > 0) bad = refuse('invalid_arguments', `git ${sub} takes no operands`);
  bad ??= rule.check?.(parsed.operands, parsed.seen);
  if (bad) return bad;
  return { consequences: [...(rule.consequences ?? [])], runsRepositoryCode: false };
}
