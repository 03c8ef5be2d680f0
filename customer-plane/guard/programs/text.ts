import { checkWorkspacePath } from '../paths.ts';
import { refuse } from '../refusal.ts';
import { firstBad, type OptionSpec } from './options.ts';

/**
 * Programs that read files (or stdin) and print. Their operands are workspace paths, their options an
 * allow-list. Options that write files, run programs (`sort --compress-program`) or follow into other
 * files are simply not listed.
 */

const color = { '--color': 'optional', '--colour': 'optional' } as const;

/** grep-like: the first operand is the pattern unless one was given with -e/-f. */
function patternThenPaths(patternOptions: string[]) {
  return (operands: string[], seen: Map<string, string | true>) => {
    const hasPattern = patternOptions.some((o) => seen.has(o));
    return firstBad(hasPattern ? operands : operands.slice(1), 'read');
  };
}

export const textPrograms: Record<string, OptionSpec> = {
  ls: {
    flags: 'aAlhtrRSd1FpiGgnosuUXvcCmxQkLBN',
    short: { I: 'value', w: 'value', T: 'value' },
    long: {
      '--all': 'flag',
      '--almost-all': 'flag',
      '--human-readable': 'flag',
      '--recursive': 'flag',
      '--reverse': 'flag',
      '--classify': 'flag',
      '--directory': 'flag',
      '--group-directories-first': 'flag',
      '--full-time': 'flag',
      '--inode': 'flag',
      '--size': 'flag',
      '--numeric-uid-gid': 'flag',
      '--sort': 'value',
      '--time': 'value',
      '--time-style': 'value',
      '--ignore': 'value',
      '--hide': 'value',
      '--width': 'value',
      '--format': 'value',
      '--block-size': 'value',
      '--indicator-style': 'value',
      ...color,
    },
    operands: 'paths',
  },
  cat: { flags: 'nbAETvset', long: { '--number': 'flag', '--show-all': 'flag', '--squeeze-blank': 'flag' }, operands: 'paths' },
  head: {
    flags: 'qvz',
    short: { n: 'value', c: 'value' },
    long: { '--lines': 'value', '--bytes': 'value', '--quiet': 'flag', '--verbose': 'flag' },
    numeric: true,
    operands: 'paths',
  },
  tail: {
    flags: 'qvz',
    short: { n: 'value', c: 'value' },
    long: { '--lines': 'value', '--bytes': 'value', '--quiet': 'flag', '--verbose': 'flag' },
    numeric: true,
    operands: 'paths',
  },
  wc: {
    flags: 'lwcmL',
    long: { '--lines': 'flag', '--words': 'flag', '--bytes': 'flag', '--chars': 'flag', '--max-line-length': 'flag' },
    operands: 'paths',
  },
  sort: {
    flags: 'nrufbdghiMRVscCz',
    short: { k: 'value', t: 'value', o: 'output', S: 'value' },
    long: {
      '--numeric-sort': 'flag',
      '--reverse': 'flag',
      '--unique': 'flag',
      '--ignore-case': 'flag',
      '--human-numeric-sort': 'flag',
      '--version-sort': 'flag',
      '--stable': 'flag',
      '--key': 'value',
      '--field-separator': 'value',
      '--output': 'output',
    },
    operands: 'paths',
  },
  uniq: {
    flags: 'cdDuiz',
    short: { f: 'value', s: 'value', w: 'value' },
    long: { '--count': 'flag', '--repeated': 'flag', '--unique': 'flag', '--ignore-case': 'flag' },
    // uniq [INPUT [OUTPUT]]: the second operand is written.
    operands: (ops) => firstBad(ops.slice(0, 1), 'read') ?? firstBad(ops.slice(1), 'write'),
  },
  cut: {
    flags: 'sz',
    short: { d: 'value', f: 'value', c: 'value', b: 'value' },
    long: { '--delimiter': 'value', '--fields': 'value', '--characters': 'value', '--bytes': 'value', '--complement': 'flag' },
    operands: 'paths',
  },
  tr: { flags: 'dscCt', long: { '--delete': 'flag', '--squeeze-repeats': 'flag' }, operands: 'values' },
  nl: { flags: 'p', short: { b: 'value', n: 'value', w: 'value', s: 'value', v: 'value', i: 'value' }, operands: 'paths' },
  diff: {
    flags: 'uNrqwbBiytcsapTE',
    short: { U: 'value', C: 'value', x: 'value', X: 'path' },
    long: {
      '--unified': 'optional',
      '--recursive': 'flag',
      '--brief': 'flag',
      '--new-file': 'flag',
      '--ignore-all-space': 'flag',
      '--ignore-space-change': 'flag',
      '--ignore-blank-lines': 'flag',
      '--ignore-case': 'flag',
      '--side-by-side': 'flag',
      '--report-identical-files': 'flag',
      '--text': 'flag',
      '--exclude': 'value',
      '--label': 'value',
      '--strip-trailing-cr': 'flag',
      ...color,
    },
    operands: 'paths',
  },
  cmp: { flags: 'lsb', short: { n: 'value', i: 'value' }, long: { '--silent': 'flag', '--quiet': 'flag' }, operands: 'paths' },
  comm: { flags: '123z', long: { '--check-order': 'flag', '--nocheck-order': 'flag' }, operands: 'paths' },
  file: {
    flags: 'biLz',
    long: { '--brief': 'flag', '--mime': 'flag', '--mime-type': 'flag', '--mime-encoding': 'flag' },
    operands: 'paths',
  },
  stat: {
    flags: 'Lt',
    short: { c: 'value' },
    long: { '--format': 'value', '--printf': 'value', '--dereference': 'flag' },
    operands: 'paths',
  },
  du: {
    flags: 'shackmbxL',
    short: { d: 'value' },
    long: { '--max-depth': 'value', '--summarize': 'flag', '--human-readable': 'flag', '--all': 'flag', '--total': 'flag' },
    operands: 'paths',
  },
  tree: {
    flags: 'adfisFCn',
    short: { L: 'value', I: 'value', P: 'value' },
    long: { '--gitignore': 'flag', '--noreport': 'flag' },
    operands: 'paths',
  },
  pwd: { flags: 'LP', operands: 'none' },
  echo: { flags: 'neE', operands: 'values' },
  printf: { operands: 'values' },
  true: { operands: 'values' },
  false: { operands: 'values' },
  basename: { flags: 'az', short: { s: 'value' }, long: { '--suffix': 'value', '--multiple': 'flag' }, operands: 'values' },
  dirname: { flags: 'z', operands: 'values' },
  realpath: { flags: 'emsqLPz', long: { '--relative-to': 'path', '--relative-base': 'path', '--no-symlinks': 'flag' }, operands: 'paths' },
  readlink: { flags: 'femnqsvz', long: { '--canonicalize': 'flag', '--no-newline': 'flag' }, operands: 'paths' },
  grep: {
    flags: 'rRnilcvwxqsHhoLZzEFGIabTUu',
    short: { e: 'value', f: 'path', A: 'value', B: 'value', C: 'value', m: 'value', d: 'value', D: 'value' },
    long: {
      '--recursive': 'flag',
      '--line-number': 'flag',
      '--ignore-case': 'flag',
      '--files-with-matches': 'flag',
      '--files-without-match': 'flag',
      '--count': 'flag',
      '--invert-match': 'flag',
      '--word-regexp': 'flag',
      '--line-regexp': 'flag',
      '--fixed-strings': 'flag',
      '--extended-regexp': 'flag',
      '--perl-regexp': 'flag',
      '--only-matching': 'flag',
      '--with-filename': 'flag',
      '--no-filename': 'flag',
      '--quiet': 'flag',
      '--null': 'flag',
      '--binary-files': 'value',
      '--include': 'value',
      '--exclude': 'value',
      '--exclude-dir': 'value',
      '--regexp': 'value',
      '--file': 'path',
      '--max-count': 'value',
      '--after-context': 'value',
      '--before-context': 'value',
      '--context': 'value',
      ...color,
    },
    operands: patternThenPaths(['-e', '-f', '--regexp', '--file']),
  },
  rg: {
    flags: 'niSswlcvFxHIuL0NpU',
    short: { t: 'value', T: 'value', g: 'value', e: 'value', A: 'value', B: 'value', C: 'value', m: 'value', M: 'value' },
    long: {
      '--line-number': 'flag',
      '--ignore-case': 'flag',
      '--smart-case': 'flag',
      '--fixed-strings': 'flag',
      '--files': 'flag',
      '--files-with-matches': 'flag',
      '--count': 'flag',
      '--hidden': 'flag',
      '--no-ignore': 'flag',
      '--json': 'flag',
      '--type': 'value',
      '--type-not': 'value',
      '--glob': 'value',
      '--regexp': 'value',
      '--max-count': 'value',
      '--max-columns': 'value',
      '--context': 'value',
      '--no-heading': 'flag',
      '--heading': 'flag',
      '--vimgrep': 'flag',
      '--multiline': 'flag',
      ...color,
    },
    operands: patternThenPaths(['-e', '--regexp', '--files']),
  },
  // No -c/--check: it reads the files a list names, which the guard never sees (one outside the
  // workspace would answer whether its content has a guessed hash).
  sha256sum: { flags: 'btwz', operands: 'paths' },
  sha1sum: { flags: 'btwz', operands: 'paths' },
  md5sum: { flags: 'btwz', operands: 'paths' },
  tac: { flags: 'br', short: { s: 'value' }, operands: 'paths' },
  rev: { operands: 'paths' },
  paste: { flags: 'sz', short: { d: 'value' }, long: { '--delimiters': 'value', '--serial': 'flag' }, operands: 'paths' },
  fold: { flags: 'bs', short: { w: 'value' }, long: { '--width': 'value' }, operands: 'paths' },
  column: { flags: 'tnexJ', short: { s: 'value', o: 'value', c: 'value', N: 'value' }, operands: 'paths' },
  od: { flags: 'bcdfiloxsv', short: { A: 'value', t: 'value', N: 'value', j: 'value', w: 'value' }, operands: 'paths' },
  xxd: {
    flags: 'pubeiEd',
    short: { l: 'value', s: 'value', c: 'value', g: 'value', o: 'value' },
    // xxd INFILE [OUTFILE]: the second operand is written.
    operands: (ops) => firstBad(ops.slice(0, 1), 'read') ?? firstBad(ops.slice(1), 'write'),
  },
  strings: { flags: 'afw', short: { n: 'value', t: 'value' }, operands: 'paths' },
  seq: { flags: 'w', short: { s: 'value', f: 'value' }, operands: 'values' },
  date: {
    flags: 'uIR',
    short: { d: 'value' },
    long: { '--utc': 'flag', '--date': 'value', '--iso-8601': 'optional', '--rfc-3339': 'value' },
    // `date -s` / `date MMDDhhmm` set the clock: only `+FORMAT` operands are allowed.
    operands: (ops) => (ops.every((o) => o.startsWith('+')) ? undefined : refuse('invalid_arguments', 'date operands must be +FORMAT')),
  },
  uname: { flags: 'asnrvmpio', long: { '--all': 'flag' }, operands: 'none' },
  which: { flags: 'a', operands: 'values' },
  jq: {
    flags: 'rcsnejSaCM',
    long: {
      '--raw-output': 'flag',
      '--compact-output': 'flag',
      '--slurp': 'flag',
      '--null-input': 'flag',
      '--exit-status': 'flag',
      '--sort-keys': 'flag',
      '--tab': 'flag',
      '--indent': 'value',
    },
    operands: jqOperands,
  },
};

/**
 * jq: the filter (the first operand) may not read the environment (`env`, `$ENV`): a run may carry a
 * substituted secret in its environment. jq 1.6 reads `$ ENV` (a space, a tab, a newline or a comment
 * after the `$`) as `$ENV`, so `ENV` is refused as a word of its own. Nor may the filter load modules
 * (`import`, `include`), which jq reads from its search path outside the workspace. A filter from a file
 * (-f) is not listed: the guard cannot see it. (`--arg name value` is not listed either: two values.)
 */
function jqOperands(operands: string[]) {
  const [filter, ...files] = operands;
  if (
    /(^|[^A-Za-z0-9_$])(env|input_filename|import|include)([^A-Za-z0-9_]|$)|(^|[^A-Za-z0-9_])(ENV|__prog_args)([^A-Za-z0-9_]|$)/.test(
      filter ?? '',
    )
  ) {
    return refuse('invalid_arguments', 'jq filters may not read the environment or load modules');
  }
  for (const f of files) {
    const bad = checkWorkspacePath(f, 'read');
    if (bad) return bad;
  }
  return undefined;
}
