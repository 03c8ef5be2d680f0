import { test } from 'node:test';
import { accepted, refused } from '../../../support/program-spec.ts';

/**
 * What the programs that read and print must not do, written out by hand from their documentation
 * (file-programs-options.test.ts has the options they may use): read outside the workspace, write a
 * file, run a program, read the environment, change the clock, or wait forever.
 */
test('the files a reading program names are workspace paths; stdin is allowed', () => {
  const readers = [
    'ls',
    'cat',
    'head',
    'tail',
    'wc',
    'sort',
    'uniq',
    'cut -f1',
    'nl',
    'diff a.txt',
    'cmp a.bin',
    'comm a.txt',
    'file',
    'stat',
    'du',
    'tree',
    'realpath',
    'readlink',
    'grep TODO',
    'grep -e TODO',
    'grep -f pats.txt',
    'grep --regexp=TODO',
    'grep --file=pats.txt',
    'rg TODO',
    'rg -e TODO',
    'rg --regexp TODO',
    'rg --files',
    'sha256sum',
    'sha1sum',
    'md5sum',
    'tac',
    'rev',
    'paste',
    'fold',
    'column',
    'od',
    'xxd',
    'strings',
    'jq .',
  ];
  for (const r of readers) {
    accepted(`${r} src/a.ts`);
    refused(`${r} /etc/passwd`, 'path_outside_workspace');
    refused(`${r} ../other/a.ts`, 'path_outside_workspace');
    refused(`${r} ../workspace-sibling/a.ts`, 'path_outside_workspace');
    refused(`${r} src/a.ts /work/workspace-sibling/a.ts`, 'path_outside_workspace');
  }
  for (const r of ['cat', 'head -n 5', 'sort', 'grep TODO', 'diff a.txt', 'jq .']) accepted(`${r} -`);
});

test('a pattern or filter given first is not a path; with -e, -f, --regexp, --file or --files every operand is', () => {
  accepted('grep /etc/passwd src');
  accepted('rg /usr/lib src');
  accepted("jq '.scripts' package.json");
  for (const p of ['-e /etc', '--regexp=/etc', '-f pats.txt', '--file=pats.txt'])
    refused(`grep ${p} /etc/passwd`, 'path_outside_workspace');
  for (const p of ['-e x', '--regexp=x', '--files']) refused(`rg ${p} /etc`, 'path_outside_workspace');
  accepted('rg --files src tests');
});

test('uniq and xxd write their second operand: inside the workspace and out of .git', () => {
  for (const p of ['uniq', 'xxd']) {
    accepted(`${p} in.txt out.txt`);
    refused(`${p} in.txt .git/config`, 'path_invalid');
    refused(`${p} in.txt /tmp/out.txt`, 'path_outside_workspace');
    refused(`${p} /etc/passwd out.txt`, 'path_outside_workspace');
    // The input may be read from .git.
    accepted(`${p} .git/HEAD out.txt`);
  }
});

test('sort writes only its -o file, inside the workspace; its helper programs and temporary folders are refused', () => {
  accepted('sort -o sorted.txt names.txt');
  refused('sort -o .git/hooks/pre-commit names.txt', 'path_invalid');
  for (const opt of [
    '--compress-program=sh',
    '--compress-prog=sh',
    '-T /tmp',
    '--temporary-directory=/tmp',
    '--files0-from=list',
    '-m',
    '--random-source=/dev/urandom',
  ])
    refused(`sort ${opt} names.txt`, 'flag_not_allowed');
});

test('options that run programs, write files, read a list of names or wait forever are refused', () => {
  const unsafe: Record<string, string[]> = {
    'tail build.log': ['-f', '-F', '--follow', '--retry', '--pid=1'],
    'head build.log': ['--follow'],
    'grep TODO src': ['--exclude-from=/etc/x', '--include-from=x', '--devices=read'],
    'rg TODO src': [
      '--pre=sh',
      "--pre-glob='*'",
      '-z',
      '--search-zip',
      '--ignore-file=/etc/x',
      '-f pats.txt',
      '--hostname-bin=sh',
      "--type-add='x:*.x'",
    ],
    'diff a.txt b.txt': ['--from-file=/etc/passwd', '--to-file=/etc/passwd', '--exclude-from=/etc/x', '--ifdef=X'],
    'tree src': ['-o out.txt', '--fromfile', '-R', '-H .'],
    'du src': ['--exclude-from=/etc/x', '-X /etc/x', '--files0-from=/etc/x'],
    'wc src/a.ts': ['--files0-from=/etc/x'],
    'file README.md': ['-f names.txt', '-m /etc/magic', '-C', '--files-from=x'],
    'cat a.txt': ['--output=x'],
    'ls src': ['--dired=x', '--zzz'],
    'xxd a.bin': ['-r', '-revert'],
    'stat a.txt': ['-f'],
    'jq . a.json': [
      '-f prog.jq',
      '--from-file=prog.jq',
      '--arg k v',
      '--argjson k 1',
      '--rawfile k /etc/passwd',
      '--slurpfile k x',
      '-L /tmp',
      '--args',
      '--seq',
    ],
    'tee out.txt': ['-p', '--output-error=exit'],
    // -c reads the files a list names: sums.txt may name one outside the workspace.
    'sha256sum sums.txt': ['-c', '--check', '--status', '--quiet'],
    'sha1sum sums.txt': ['-c', '--check', '--quiet'],
    'md5sum sums.txt': ['-c', '--check', '--quiet'],
  };
  for (const [command, options] of Object.entries(unsafe)) {
    const [program, ...rest] = command.split(' ');
    for (const opt of options) refused(`${program} ${opt} ${rest.join(' ')}`, 'flag_not_allowed');
  }
  refused('realpath --relative-to=/ src', 'path_outside_workspace');
  refused('touch -r /etc/passwd x', 'path_outside_workspace');
  refused('diff -X /etc/x a b', 'path_outside_workspace');
});

test('date reads the clock and never sets it: only +FORMAT operands', () => {
  for (const d of ['', '+%s', '+%F', "'+%Y-%m-%d %H:%M'", '-u +%s', '-d yesterday +%F']) accepted(`date ${d}`.trim());
  for (const d of ['010112002024', '+%s 0101', 'now']) refused(`date ${d}`, 'invalid_arguments', /\+FORMAT/);
  for (const d of ['-s 2020-01-01', '--set=2020-01-01', '-f /etc/x', '--file=dates.txt', '-r /etc/passwd', '--reference=a.txt'])
    refused(`date ${d}`, 'flag_not_allowed');
});

test('pwd and uname take no operands; echo, printf, tr, basename, dirname, seq and which take free values', () => {
  refused('pwd src', 'invalid_arguments', /pwd takes no operands/);
  refused('uname x', 'invalid_arguments', /uname takes no operands/);
  for (const c of [
    'echo /etc/passwd',
    "printf '%s' /etc/passwd",
    'basename /usr/bin/node',
    'dirname /a/b',
    'tr / _',
    'seq 1 10',
    'which node',
    'true /x',
    'false /x',
  ])
    accepted(c);
});

test('jq filters may not read the environment or load modules, however jq would read them', () => {
  for (const f of [
    'env',
    'env.HOME',
    '$ENV',
    '$ENV.AWS_SECRET',
    '.a | env',
    '[env]',
    '"\\(env)"',
    'input_filename',
    '$__prog_args',
    'import "x" as x; .',
    'include "x"; .',
    // jq 1.6 reads `$` and the name as two words: a space, a tab, a newline or a comment may come between.
    '$ ENV.TOKEN',
    '$\tENV',
    '$\nENV',
    '$# note\nENV',
    'ENV',
  ])
    refused(`jq -n '${f}'`, 'invalid_arguments', /environment or load modules/);
  for (const f of [
    '.environment',
    '.envelope',
    '$env_name',
    '.ENVIRONMENT',
    '.[] | .name',
    'keys',
    '.a | tostring',
    'inputs',
    'ascii_downcase',
  ])
    accepted(`jq '${f}' data.json`);
  accepted('jq -n 1');
  refused('jq . /etc/passwd', 'path_outside_workspace');
  refused('jq . a.json ../x.json', 'path_outside_workspace');
});
