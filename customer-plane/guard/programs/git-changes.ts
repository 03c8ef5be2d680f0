import { refuse } from '../refusal.ts';
import { type Sub, spec } from './git-subcommands.ts';
import { firstBad } from './options.ts';

/**
 * git subcommands that change the workspace's repository (or, for push/fetch/pull, talk to a remote:
 * those carry a consequence the gate asks about). Editors and interactive modes are not listed.
 */
const STASH_ACTIONS = new Set(['list', 'show', 'pop', 'apply', 'drop', 'push']);
const CONFIG_WRITABLE = new Set(['user.name', 'user.email']);

export const CHANGING: Record<string, Sub> = {
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
};
