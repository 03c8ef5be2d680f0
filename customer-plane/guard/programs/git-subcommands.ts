import type { Consequence } from '../../../agents/tools.ts';
import type { Refusal } from '../refusal.ts';
import type { OptionKind, OptionSpec } from './options.ts';

/**
 * git subcommands that only inspect the repository, each with its option allow-list (the ones that
 * change it are in git-changes.ts). What is not listed is refused:
 * options that run programs (`--ext-diff`, `-O`, `--upload-pack`, `--receive-pack`, `--exec`, `-x`),
 * write files outside the index (`--output`), sign (`-S`), or open an editor or an interactive mode.
 */
export type Sub = {
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
  // git takes a log format only attached (`--format=%H`); an empty one (`--format=`) prints no header.
  '--format': 'optional',
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
export const spec = (s: Omit<OptionSpec, 'operands'> & { operands?: OptionSpec['operands'] }): OptionSpec => ({ operands: 'paths', ...s });

export const INSPECTING: Record<string, Sub> = {
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
  version: { spec: spec({ operands: 'none' }) },
};
