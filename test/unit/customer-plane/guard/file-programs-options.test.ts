import { test } from 'node:test';
import { accepted, proveOptions, type Rule, refused } from '../../../support/program-spec.ts';

/**
 * The options of the programs that read and print, that a coding agent relies on, written out by hand
 * from their documentation (GNU coreutils, grep, diffutils, file, tree, ripgrep, xxd, jq man pages) —
 * never read from the guard's tables. Each is tried before the operands and as the last word; values
 * are tried separate, attached and after `=`, and an empty or missing value is refused.
 */
const READERS: Record<string, Rule> = {
  ls: {
    at: 'src',
    flags:
      '-a -A -l -h -t -r -R -S -d -1 -F -p -i -G -g -n -o -s -u -U -X -v -c -C -m -x -Q -k -L -B -N --all --almost-all ' +
      '--human-readable --recursive --reverse --classify --directory --group-directories-first --full-time --inode --size ' +
      '--numeric-uid-gid',
    values: [
      ['-I', "'*.o'"],
      ['-w', '80'],
      ['-T', '4'],
      ['--sort', 'time'],
      ['--time', 'ctime'],
      ['--time-style', 'iso'],
      ['--ignore', "'*.o'"],
      ['--hide', "'*.map'"],
      ['--width', '100'],
      ['--format', 'long'],
      ['--block-size', 'K'],
      ['--indicator-style', 'slash'],
    ],
    optional: [
      ['--color', 'never'],
      ['--colour', 'auto'],
    ],
  },
  cat: { at: 'README.md', flags: '-n -b -A -E -T -v -s -e -t --number --show-all --squeeze-blank' },
  head: {
    at: 'README.md',
    flags: '-q -v -z --quiet --verbose',
    values: [
      ['-n', '20'],
      ['-c', '100'],
      ['--lines', '20'],
      ['--bytes', '100'],
    ],
  },
  tail: {
    at: 'build.log',
    flags: '-q -v -z --quiet --verbose',
    values: [
      ['-n', '20'],
      ['-c', '100'],
      ['--lines', '20'],
      ['--bytes', '100'],
    ],
  },
  wc: { at: 'src/a.ts', flags: '-l -w -c -m -L --lines --words --bytes --chars --max-line-length' },
  sort: {
    at: 'names.txt',
    flags:
      '-n -r -u -f -b -d -g -h -i -M -R -V -s -c -C -z --numeric-sort --reverse --unique --ignore-case --human-numeric-sort ' +
      '--version-sort --stable',
    values: [
      ['-k', '2'],
      ['-t', ','],
      ['-S', '10M'],
      ['--key', '2,2'],
      ['--field-separator', ':'],
    ],
    writes: ['-o', '--output'],
  },
  uniq: {
    at: 'names.txt',
    flags: '-c -d -D -u -i -z --count --repeated --unique --ignore-case',
    values: [
      ['-f', '1'],
      ['-s', '2'],
      ['-w', '5'],
    ],
  },
  cut: {
    at: 'data.csv',
    flags: '-s -z --complement',
    values: [
      ['-d', ','],
      ['-f', '1'],
      ['-c', '1-5'],
      ['-b', '1-3'],
      ['--delimiter', ','],
      ['--fields', '2'],
      ['--characters', '1-5'],
      ['--bytes', '1-3'],
    ],
  },
  tr: { at: 'a-z A-Z', flags: '-d -s -c -C -t --delete --squeeze-repeats' },
  nl: {
    at: 'src/a.ts',
    flags: '-p',
    values: [
      ['-b', 'a'],
      ['-n', 'ln'],
      ['-w', '4'],
      ['-s', ':'],
      ['-v', '1'],
      ['-i', '1'],
    ],
  },
  diff: {
    at: 'a.txt b.txt',
    flags:
      '-u -N -r -q -w -b -B -i -y -t -c -s -a -p -T -E --recursive --brief --new-file --ignore-all-space ' +
      '--ignore-space-change --ignore-blank-lines --ignore-case --side-by-side --report-identical-files --text --strip-trailing-cr',
    values: [
      ['-U', '5'],
      ['-C', '3'],
      ['-x', 'node_modules'],
      ['--exclude', 'node_modules'],
      ['--label', 'old'],
    ],
    optional: [
      ['--unified', '5'],
      ['--color', 'always'],
      ['--colour', 'never'],
    ],
    reads: ['-X'],
  },
  cmp: {
    at: 'a.bin b.bin',
    flags: '-l -s -b --silent --quiet',
    values: [
      ['-n', '100'],
      ['-i', '10'],
    ],
  },
  comm: { at: 'a.txt b.txt', flags: '-1 -2 -3 -z --check-order --nocheck-order' },
  file: { at: 'README.md', flags: '-b -i -L -z --brief --mime --mime-type --mime-encoding' },
  stat: {
    at: 'README.md',
    flags: '-L -t --dereference',
    values: [
      ['-c', '%s'],
      ['--format', '%s'],
      ['--printf', '%s'],
    ],
  },
  du: {
    at: 'src',
    flags: '-s -h -a -c -k -m -b -x -L --summarize --human-readable --all --total',
    values: [
      ['-d', '1'],
      ['--max-depth', '1'],
    ],
  },
  tree: {
    at: 'src',
    flags: '-a -d -f -i -s -F -C -n --gitignore --noreport',
    values: [
      ['-L', '2'],
      ['-I', 'node_modules'],
      ['-P', "'*.ts'"],
    ],
  },
  pwd: { at: '', flags: '-L -P' },
  echo: { at: 'hello', flags: '-n -e -E' },
  printf: { at: 'hello' },
  true: { at: '' },
  false: { at: '' },
  basename: {
    at: 'src/a.ts',
    flags: '-a -z --multiple',
    values: [
      ['-s', '.ts'],
      ['--suffix', '.ts'],
    ],
  },
  dirname: { at: 'src/a.ts', flags: '-z' },
  realpath: { at: 'src', flags: '-e -m -s -q -L -P -z --no-symlinks', reads: ['--relative-to', '--relative-base'] },
  readlink: { at: 'current', flags: '-f -e -m -n -q -s -v -z --canonicalize --no-newline' },
  grep: {
    at: 'TODO src',
    flags:
      '-r -R -n -i -l -c -v -w -x -q -s -H -h -o -L -Z -z -E -F -G -I -a -b -T -U -u --recursive --line-number --ignore-case ' +
      '--files-with-matches --files-without-match --count --invert-match --word-regexp --line-regexp --fixed-strings ' +
      '--extended-regexp --perl-regexp --only-matching --with-filename --no-filename --quiet --null',
    values: [
      ['-e', 'FIXME'],
      ['-A', '2'],
      ['-B', '2'],
      ['-C', '2'],
      ['-m', '1'],
      ['-d', 'skip'],
      ['-D', 'skip'],
      ['--binary-files', 'without-match'],
      ['--include', "'*.ts'"],
      ['--exclude', "'*.min.js'"],
      ['--exclude-dir', 'node_modules'],
      ['--regexp', 'FIXME'],
      ['--max-count', '1'],
      ['--after-context', '2'],
      ['--before-context', '2'],
      ['--context', '2'],
    ],
    optional: [
      ['--color', 'always'],
      ['--colour', 'never'],
    ],
    reads: ['-f', '--file'],
  },
  rg: {
    at: 'TODO src',
    flags:
      '-n -i -S -s -w -l -c -v -F -x -H -I -u -L -0 -N -p -U --line-number --ignore-case --smart-case --fixed-strings ' +
      '--files-with-matches --count --hidden --no-ignore --json --no-heading --heading --vimgrep --multiline',
    values: [
      ['-t', 'ts'],
      ['-T', 'js'],
      ['-g', "'*.ts'"],
      ['-e', 'FIXME'],
      ['-A', '2'],
      ['-B', '2'],
      ['-C', '2'],
      ['-m', '1'],
      ['-M', '200'],
      ['--type', 'ts'],
      ['--type-not', 'js'],
      ['--glob', "'*.ts'"],
      ['--regexp', 'FIXME'],
      ['--max-count', '1'],
      ['--max-columns', '200'],
      ['--context', '2'],
    ],
    optional: [['--color', 'never']],
  },
  sha256sum: { at: 'dist.tgz', flags: '-b -t -w -z' },
  sha1sum: { at: 'dist.tgz', flags: '-b -t -w -z' },
  md5sum: { at: 'dist.tgz', flags: '-b -t -w -z' },
  tac: { at: 'build.log', flags: '-b -r', values: [['-s', '---']] },
  rev: { at: 'a.txt' },
  paste: {
    at: 'a.txt b.txt',
    flags: '-s -z --serial',
    values: [
      ['-d', ','],
      ['--delimiters', ','],
    ],
  },
  fold: {
    at: 'a.txt',
    flags: '-b -s',
    values: [
      ['-w', '80'],
      ['--width', '80'],
    ],
  },
  column: {
    at: 'data.tsv',
    flags: '-t -n -e -x -J',
    values: [
      ['-s', ','],
      ['-o', "'|'"],
      ['-c', '80'],
      ['-N', 'name,size'],
    ],
  },
  od: {
    at: 'a.bin',
    flags: '-b -c -d -f -i -l -o -x -s -v',
    values: [
      ['-A', 'x'],
      ['-t', 'x1'],
      ['-N', '16'],
      ['-j', '4'],
      ['-w', '16'],
    ],
  },
  xxd: {
    at: 'a.bin',
    flags: '-p -u -b -e -i -E -d',
    values: [
      ['-l', '64'],
      ['-s', '16'],
      ['-c', '16'],
      ['-g', '2'],
      ['-o', '0'],
    ],
  },
  strings: {
    at: 'a.bin',
    flags: '-a -f -w',
    values: [
      ['-n', '8'],
      ['-t', 'x'],
    ],
  },
  seq: {
    at: '10',
    flags: '-w',
    values: [
      ['-s', ','],
      ['-f', '%03g'],
    ],
  },
  date: {
    at: '+%F',
    flags: '-u -I -R --utc',
    values: [
      ['-d', 'yesterday'],
      ['--date', 'yesterday'],
      ['--rfc-3339', 'seconds'],
    ],
    optional: [['--iso-8601', 'seconds']],
  },
  uname: { at: '', flags: '-a -s -n -r -v -m -p -i -o --all' },
  which: { at: 'node', flags: '-a' },
  jq: {
    at: '.name package.json',
    flags: '-r -c -s -n -e -j -S -a -C -M --raw-output --compact-output --slurp --null-input --exit-status --sort-keys --tab',
    values: [['--indent', '4']],
  },
};

for (const [program, rule] of Object.entries(READERS)) {
  test(`${program}: every option an agent relies on is accepted, and its values are checked`, () => proveOptions(program, rule));
}

test('head and tail take a bare count, as in head -20; other programs do not', () => {
  for (const program of ['head', 'tail']) {
    accepted(`${program} -20 build.log`);
    accepted(`${program} build.log -5`);
  }
  refused('cat -20 build.log', 'flag_not_allowed');
});
