import { test } from 'node:test';
import { proveOptions, type Rule } from '../../../support/program-spec.ts';

/**
 * The git options an agent relies on, written out by hand from git's documentation — never read from the
 * guard's tables, so a table that loses or gains an entry fails here. Each allowed option is tried before
 * the operands and as the command's last word, so an option that wrongly started to want a value (or
 * lost one) shows. git-refusals.test.ts has the ones that must stay refused.
 */
const diffFlags =
  '--numstat --shortstat --name-only --name-status --summary --raw --patch --no-patch --no-color --ignore-all-space ' +
  '--ignore-space-change --ignore-blank-lines --no-renames --minimal --histogram --patience --no-prefix --full-index ' +
  '--binary --quiet --exit-code --check --no-ext-diff --no-textconv';
const diffValues: Array<[string, string]> = [
  ['--unified', '5'],
  ['--diff-filter', 'AM'],
];
const diffOptional: Array<[string, string]> = [
  ['--stat', '120'],
  ['--color', 'never'],
  ['--word-diff', 'color'],
  ['--find-renames', '50%'],
  ['--relative', 'src'],
  ['--abbrev', '12'],
];
const log: Rule = {
  at: 'HEAD',
  flags:
    `${diffFlags} -p -s -w -z -R -M -i --oneline --graph --no-decorate --all --reverse --no-merges --merges --first-parent ` +
    '--abbrev-commit --follow --topo-order --date-order --left-right --cherry-pick --count --full-diff --cc --pickaxe-regex ' +
    '--regexp-ignore-case',
  values: [
    ...diffValues,
    ['--author', 'alice'],
    ['--committer', 'bob'],
    ['--since', '2.weeks'],
    ['--until', 'yesterday'],
    ['--after', '2024-01-01'],
    ['--before', '2024-06-01'],
    ['--grep', 'fix'],
    ['--date', 'iso'],
    ['--max-count', '10'],
    ['--skip', '5'],
    ['-n', '5'],
    ['-S', 'needle'],
    ['-G', 'regex'],
    ['-U', '3'],
  ],
  optional: [
    ...diffOptional,
    ['--decorate', 'short'],
    ['--branches', 'main'],
    ['--tags', 'v1'],
    ['--remotes', 'origin'],
    ['--format', '%H'],
    ['--pretty', 'oneline'],
  ],
};

const ALLOWED: Record<string, Rule> = {
  status: {
    at: '',
    flags: '-s -b -v -z --short --branch --long --verbose --show-stash --ahead-behind --no-ahead-behind',
    optional: [
      ['--porcelain', 'v2'],
      ['--untracked-files', 'no'],
      ['--ignored', 'matching'],
      ['-u', 'no'],
    ],
  },
  diff: {
    at: 'HEAD~1',
    flags: `${diffFlags} -p -w -b -z -R -M --cached --staged --merge-base`,
    values: [...diffValues, ['-U', '5']],
    optional: diffOptional,
  },
  log,
  show: log,
  shortlog: {
    at: 'HEAD',
    flags: '-s -n -e --summary --numbered --email --all',
    values: [
      ['--since', '1.month'],
      ['--until', 'now'],
    ],
  },
  'ls-files': {
    at: '',
    flags:
      '-c -d -m -o -i -k -s -u -v -t -z --cached --deleted --modified --others --ignored --stage --unmerged ' +
      '--exclude-standard --error-unmatch --full-name --directory --deduplicate',
    values: [
      ['-x', 'build'],
      ['--exclude', 'dist'],
      ['--format', "'%(path)'"],
    ],
  },
  'ls-tree': {
    at: 'HEAD',
    flags: '-r -d -t -l -z --name-only --name-status --full-name --full-tree --long',
    optional: [['--abbrev', '8']],
  },
  blame: {
    at: 'README.md',
    flags: '-w -M -C -e -s -f -l -n -p -b -c --porcelain --line-porcelain --show-email --root --minimal',
    values: [
      ['-L', '1,20'],
      ['--date', 'short'],
    ],
    optional: [['--abbrev', '10']],
  },
  'rev-parse': {
    at: '',
    flags: '-q --show-toplevel --show-prefix --show-cdup --git-dir --is-inside-work-tree --verify --symbolic-full-name --quiet',
    optional: [
      ['--short', '8'],
      ['--abbrev-ref', 'strict'],
    ],
  },
  'rev-list': {
    at: 'HEAD',
    flags: '--count --all --reverse --first-parent --no-merges',
    values: [
      ['-n', '5'],
      ['--max-count', '5'],
    ],
  },
  'merge-base': { at: 'main HEAD', flags: '-a --is-ancestor --all --fork-point' },
  'cat-file': { at: 'HEAD', flags: '-p -t -s -e' },
  'show-ref': { at: '', flags: '-s --heads --tags --verify', optional: [['--hash', '8']] },
  'diff-tree': { at: 'HEAD', flags: `${diffFlags} -r -t -p -z --no-commit-id --root`, values: diffValues, optional: diffOptional },
  describe: {
    at: '',
    flags: '--tags --always --long --all --exact-match',
    values: [['--match', 'v1']],
    optional: [
      ['--abbrev', '7'],
      ['--dirty', '+'],
    ],
  },
  grep: {
    at: 'TODO',
    flags:
      '-n -l -i -w -c -v -E -F -G -P -h -H -I -o -q -z --untracked --cached --line-number --ignore-case --word-regexp --count ' +
      '--files-with-matches --files-without-match --extended-regexp --fixed-strings --heading --break --show-function',
    values: [
      ['-e', 'FIXME'],
      ['-A', '2'],
      ['-B', '2'],
      ['-C', '2'],
      ['-m', '1'],
      ['--max-depth', '2'],
    ],
    optional: [['--color', 'always']],
    reads: [['-f', 'notes/msg.txt']],
  },
  branch: {
    at: '',
    flags: '-a -v -r -l -d -D -m -M --all --remotes --verbose --list --show-current',
    values: [
      ['--sort', '-committerdate'],
      ['--format', "'%(refname)'"],
    ],
    optional: [
      ['--merged', 'main'],
      ['--no-merged', 'main'],
      ['--contains', 'HEAD'],
    ],
  },
  tag: {
    at: '',
    flags: '-l -d -a --list --annotate --delete',
    values: [
      ['-m', 'release'],
      ['--sort', 'version:refname'],
      ['--points-at', 'HEAD'],
    ],
    optional: [
      ['-n', '5'],
      ['--contains', 'HEAD'],
    ],
  },
  add: { at: '.', flags: '-A -u -n -N -f -v --all --update --dry-run --intent-to-add --force --verbose' },
  commit: {
    at: '',
    flags: '-a -q -n -s -v --all --amend --no-edit --allow-empty --allow-empty-message --signoff --quiet --no-verify',
    values: [
      ['-m', 'fix'],
      ['-C', 'HEAD'],
      ['--message', 'fix'],
      ['--author', 'alice'],
      ['--date', 'now'],
      ['--fixup', 'HEAD'],
    ],
    reads: [
      ['-F', 'notes/msg.txt'],
      ['--file', 'notes/msg.txt'],
    ],
  },
  checkout: {
    at: 'main',
    flags: '-q -f -m --detach --quiet --force --ours --theirs',
    values: [
      ['-b', 'feature'],
      ['-B', 'feature'],
    ],
  },
  switch: {
    at: 'main',
    flags: '-d -f -q --detach --discard-changes --quiet',
    values: [
      ['-c', 'feature'],
      ['-C', 'feature'],
      ['--create', 'feature'],
      ['--force-create', 'feature'],
    ],
  },
  restore: {
    at: 'src/a.ts',
    flags: '-S -W -q --staged --worktree --quiet --ours --theirs',
    values: [
      ['-s', 'HEAD'],
      ['--source', 'HEAD'],
    ],
  },
  reset: { at: 'HEAD~1', flags: '-q --soft --mixed --quiet' },
  'stash push': {
    at: '',
    flags: '-u -q -k -p --include-untracked --keep-index --quiet --index --stat',
    values: [
      ['-m', 'wip'],
      ['--message', 'wip'],
    ],
  },
  merge: {
    at: 'feature',
    flags: '-q --no-ff --ff-only --squash --abort --continue --no-edit --no-commit --stat',
    values: [
      ['-m', 'merge'],
      ['-X', 'theirs'],
    ],
  },
  rebase: { at: 'main', flags: '--abort --continue --skip --quit --autostash', values: [['--onto', 'main']] },
  'cherry-pick': { at: 'abc123', flags: '-n -x --abort --continue --skip --no-commit', values: [['-m', '1']] },
  revert: { at: 'abc123', flags: '-n --no-edit --no-commit --abort --continue', values: [['-m', '1']] },
  mv: { at: 'a.txt b.txt', flags: '-f -k -v -n' },
  rm: { at: 'old.txt', flags: '-q -n --cached --quiet --dry-run --ignore-unmatch', consequences: ['delete'] },
  apply: {
    at: 'fix.patch',
    flags: '-v -R --check --stat --numstat --summary --index --cached --3way --reverse',
    values: [
      ['-p', '1'],
      ['--whitespace', 'fix'],
    ],
  },
  remote: { at: '', flags: '-v' },
  push: {
    at: 'origin main',
    flags: '-f -u -q -v -n --set-upstream --tags --dry-run --follow-tags --quiet --verbose --no-verify --force --delete',
    optional: [['--force-with-lease', 'main']],
    consequences: ['push'],
  },
  fetch: {
    at: 'origin',
    flags: '-q -v -p --all --prune --tags --quiet --dry-run',
    values: [['--depth', '1']],
    consequences: ['network'],
  },
  pull: { at: 'origin main', flags: '-q -v --ff-only --no-rebase --quiet', optional: [['--rebase', 'true']], consequences: ['network'] },
};

for (const [sub, rule] of Object.entries(ALLOWED)) {
  test(`git ${sub}: every option an agent relies on is accepted, with the consequences a person approves`, () =>
    proveOptions(`git ${sub}`, rule));
}
