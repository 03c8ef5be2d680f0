import { test } from 'node:test';
import { accepted, proveOptions, refused } from '../../../support/program-spec.ts';

/**
 * sed, written out by hand from `man sed` and the GNU sed manual: its options, the script commands that
 * print and edit, and the ones that run a command (`e`, the `e` flag of `s`), write a file (`w`, `W`,
 * the `w` flag) or read one (`r`, `R`), which are refused, as are scripts from a file the guard cannot see.
 */
test('sed: every option an agent relies on is accepted', () => {
  proveOptions('sed', {
    at: 's/a/b/ notes.txt',
    flags: '-n -E -r -s -u -z --quiet --silent --regexp-extended --separate --posix --null-data',
    values: [['-l', '80']],
    optional: [['--in-place', '.orig']],
  });
  // A script given with -e: every operand is then a file.
  for (const e of ['-e s/a/b/', '-es/a/b/', '--expression=s/a/b/', '--expression s/a/b/']) accepted(`sed ${e} notes.txt`);
  accepted('sed -e s/a/b/ -e s/c/d/ notes.txt');
  for (const e of ["-e ''", '--expression=']) refused(`sed ${e} notes.txt`, 'invalid_arguments');
  refused('sed notes.txt -e', 'invalid_arguments');
  refused('sed notes.txt --expression', 'invalid_arguments');
});

test('sed -i edits workspace files in place, out of .git, with a plain backup suffix at most', () => {
  for (const i of ['-i', '-i.bak', '--in-place', '--in-place=.orig', '-Ei', '-ni.bak']) {
    accepted(`sed ${i} s/foo/bar/g src/config.ts`);
    refused(`sed ${i} s/a/b/ .git/config`, 'path_invalid');
    refused(`sed ${i} s/a/b/ /etc/hosts`, 'path_outside_workspace');
    refused(`sed ${i} s/a/b/ ../workspace-sibling/a.ts`, 'path_outside_workspace');
  }
  accepted('sed s/foo/bar/g src/config.ts -i');
  accepted('sed -i -e s/a/b/ -e s/c/d/ a.ts b.ts');
  refused('sed -i -e s/a/b/ a.ts .git/HEAD', 'path_invalid');
  // Read-only, .git may be read.
  accepted('sed -n p .git/config');
  // GNU sed names the backup after the suffix: `*` is the file's name, `/` another folder.
  for (const i of ["-i'.git/*'", "--in-place='.git/*'", "-i'../*'", "-i'/tmp/*'", "-i'bak_*'", "-i'old/'", "-n -i'.git/*'"])
    refused(`sed ${i} -n p config`, 'flag_not_allowed', /suffix/);
  refused("sed -i.bak -i'.git/*' -n p config", 'flag_not_allowed');
});

test('sed needs a script, from an operand or -e, never from a file', () => {
  refused('sed', 'invalid_arguments', /sed needs a script/);
  refused('sed -n', 'invalid_arguments');
  refused('sed -f script.sed notes.txt', 'flag_not_allowed', /^sed -f is not allowed/);
  for (const f of ['-f script.sed', '--file=script.sed', '-f -']) refused(`sed ${f} notes.txt`, 'flag_not_allowed');
  // With -e, the first operand is a file like the others.
  refused('sed -e p /etc/passwd', 'path_outside_workspace');
  refused('sed --expression=p ../secrets.env', 'path_outside_workspace');
  refused('sed p /etc/passwd', 'path_outside_workspace');
  refused('sed -n p notes.txt ../x', 'path_outside_workspace');
  accepted('sed -n p -');
});

test('sed scripts: addresses and the printing and editing commands are accepted', () => {
  const scripts = [
    'p',
    'P',
    'd',
    'D',
    'q',
    'Q',
    '=',
    'n',
    'N',
    'g',
    'G',
    'h',
    'H',
    'x',
    'l',
    'q5',
    'Q1',
    '1p',
    '$p',
    '10q',
    '1,5p',
    '1,5!d',
    '$!N',
    '1!G;h;$!d',
    '0~2d',
    '1~3p',
    '2,+3d',
    '2,~4p',
    '/^#/d',
    '/a/,/b/p',
    '/x/,$d',
    '0,/re/d',
    '/todo/Ip',
    '/a/Md',
    '\\%usr/lib%d',
    '\\,a\\,b,p',
    '1 d',
    '1! d',
    '/start/,/end/{p;}',
    '1,3{p}',
    '{p;p}',
    'p;p',
    "'1d\n2d'",
    ' p ',
  ];
  for (const s of scripts) accepted(`sed -n ${s.startsWith("'") ? s : `'${s}'`} notes.txt`);
  const substitutions = [
    's/a/b/',
    's/a/b/g',
    's/a/b/2',
    's/a/b/3g',
    's/a/b/gI',
    's/a/b/i',
    's/a/b/Mp',
    's/a/b/m',
    's/a/b/p',
    's/a/b/0',
    's|a|b|g',
    's#/usr#/opt#',
    's/a\\/b/c/',
    's/a/b\\/c/',
    's/a/b/;s/c/d/',
    's/a/b/ ; p',
    '/x/s/a/b/',
    's/a/b/}',
    'y/abc/xyz/',
    'y|a\\|b|xyz|',
  ];
  for (const s of substitutions) accepted(`sed '${s}' notes.txt`);
});

test('a custom-delimiter address is read from its own backslash, also right after a command that ended in that delimiter', () => {
  for (const s of ['\\%x%p', 's%a%b%;\\%x%p', 'y%a%b%;\\%x%d', 'p;\\%x%,\\%y%p']) accepted(`sed -n '${s}' notes.txt`);
  refused("sed -n 's%a%b%;\\%x%w out.txt' notes.txt", 'flag_not_allowed', /sed command w is not allowed/);
});

test('sed scripts that run a command, write or read a file, or do not parse are refused', () => {
  for (const s of [
    'e id',
    '1e id',
    'w /tmp/x',
    '$w out.txt',
    'W out.txt',
    'r /etc/passwd',
    '/x/r /etc/passwd',
    'R list.txt',
    'F',
    'p;w out.txt',
    'p\nw out',
  ])
    refused(`sed '${s}' notes.txt`, 'flag_not_allowed', /sed command . is not allowed/);
  for (const s of ['s/a/b/e', 's/a/b/w out.txt', 's/a/b/gw /tmp/x', 's/a/b/pe', 's/a/b/ge', 'y/abc/xyz/g', 's/a/b/x'])
    refused(`sed '${s}' notes.txt`, 'flag_not_allowed', /flag . is not allowed/);
  // Every -e script is checked, whichever way it was given.
  refused("sed -e p -e 'w out.txt' notes.txt", 'flag_not_allowed');
  refused("sed -e p --expression='w out.txt' notes.txt", 'flag_not_allowed');
  refused("sed --expression='w out.txt' -e p notes.txt", 'flag_not_allowed');
  for (const s of ['/abc p', '/abc', '1,p', '1,/x', '\\%abc'])
    refused(`sed '${s}' notes.txt`, 'invalid_arguments', /address does not parse/);
  // Only q and Q take a number after them; a lone backslash or comma is no address.
  for (const s of ['\\', ',p']) refused(`sed '${s}' notes.txt`, 'flag_not_allowed', /sed command . is not allowed/);
  for (const s of ['1', '$', '/x/', '1,5', '/x/!', '1~2', 'p5', 'd1'])
    refused(`sed '${s}' notes.txt`, 'invalid_arguments', /address without a command/);
  for (const s of ['s', 'y', 's\\a\\b\\', "'s\na\nb\n'"])
    refused(`sed ${s.startsWith("'") ? s : `'${s}'`} notes.txt`, 'invalid_arguments', /without a delimiter/);
  for (const s of ['s/a/b', 's/a', 's/a\\/b/c', 'y/abc/xyz', 's|a|b'])
    refused(`sed '${s}' notes.txt`, 'invalid_arguments', /command is not terminated/);
});
