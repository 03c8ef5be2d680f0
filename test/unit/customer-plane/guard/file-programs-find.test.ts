import { test } from 'node:test';
import { accepted, refused } from '../../../support/program-spec.ts';

/**
 * find, written out by hand from `man find` (GNU findutils): start points in the workspace, then an
 * expression of tests, operators and printing actions. Actions that run programs, delete or write files
 * are refused.
 */
const TESTS_WITH_VALUE: Array<[string, string]> = [
  ['-name', "'*.ts'"],
  ['-iname', "'readme*'"],
  ['-path', "'./src/*'"],
  ['-ipath', "'*/test/*'"],
  ['-wholename', "'./src/*'"],
  ['-iwholename', "'*/SRC/*'"],
  ['-regex', "'.*\\.ts'"],
  ['-iregex', "'.*\\.md'"],
  ['-regextype', 'posix-extended'],
  ['-type', 'f'],
  ['-xtype', 'l'],
  ['-size', '+1M'],
  ['-mtime', '-1'],
  ['-mmin', '-60'],
  ['-atime', '+7'],
  ['-amin', '5'],
  ['-ctime', '1'],
  ['-cmin', '5'],
  ['-user', 'alice'],
  ['-group', 'staff'],
  ['-uid', '1000'],
  ['-gid', '1000'],
  ['-perm', '-u+x'],
  ['-links', '1'],
  ['-inum', '1234'],
  ['-maxdepth', '2'],
  ['-mindepth', '1'],
  ['-printf', "'%p %s\\n'"],
];
const TESTS_WITH_FILE = ['-newer', '-anewer', '-cnewer', '-samefile'];
const BARE =
  '-empty -executable -readable -writable -true -false -print -print0 -prune -quit -ls -depth -mount -xdev -nouser -nogroup ' +
  '-daystart -noleaf';

test('find: every test and printing action an agent relies on is accepted, and a test without its value is refused', () => {
  for (const [t, value] of TESTS_WITH_VALUE) {
    accepted(`find . ${t} ${value}`);
    accepted(`find src ${t} ${value} -print`);
    refused(`find . ${t}`, 'invalid_arguments', new RegExp(`find ${t} needs a value`));
  }
  for (const t of TESTS_WITH_FILE) {
    accepted(`find . ${t} package.json`);
    accepted(`find src -type f ${t} dist/stamp`);
    refused(`find . ${t} /etc/passwd`, 'path_outside_workspace');
    refused(`find . ${t} ../other/file`, 'path_outside_workspace');
    refused(`find . ${t} ../workspace-sibling/file`, 'path_outside_workspace');
    refused(`find . ${t}`, 'invalid_arguments');
  }
  for (const t of BARE.split(' ')) {
    accepted(`find . ${t}`);
    accepted(`find . ${t} -print`);
  }
});

test('find: the values of tests are patterns and formats, not paths', () => {
  accepted("find . -printf '/%P\\n'");
  accepted("find . -path '../*'");
  accepted("find . -regex '/.*'");
});

test('find: operators combine tests anywhere in the expression', () => {
  accepted("find . -type f \\( -name '*.ts' -o -name '*.js' \\)");
  accepted('find . \\( -name node_modules -prune \\) -o -print');
  accepted("find . -type f '!' -name '*.md'");
  accepted("find . -type f ! -name '*.md'");
  accepted("find . -type f -not -name '*.md'");
  accepted("find . -name '*.ts' -a -type f");
  accepted("find . -name '*.ts' -and -type f");
  accepted("find . -name '*.ts' -or -name '*.js'");
  accepted("find . -name '*.ts' -o -name '*.js'");
  accepted("find . -name '*.ts' , -name '*.js'");
});

test('find: -H, -L and -P may come first; start points are workspace paths, and nothing else comes after the expression starts', () => {
  accepted('find');
  accepted('find src tests -name x');
  for (const opt of ['-H', '-L', '-P']) {
    accepted(`find ${opt} . -type l`);
    accepted(`find ${opt}`);
    refused(`find ${opt} /etc -name x`, 'path_outside_workspace');
  }
  accepted('find -L -H src -type f');
  refused('find / -name id_rsa', 'path_outside_workspace');
  refused('find /work/workspace-sibling', 'path_outside_workspace');
  refused('find ../other', 'path_outside_workspace');
  refused('find . ../other -name x', 'path_outside_workspace');
  refused('find src /etc', 'path_outside_workspace');
  refused('find . -name x /etc', 'flag_not_allowed', /find \/etc is not allowed/);
  refused('find . -name x -L', 'flag_not_allowed');
});

test('find: actions that run programs, delete or write files are refused, and so is anything unlisted', () => {
  for (const action of ["-exec rm '{}' ';'", "-execdir sh -c x '{}' +", "-ok rm '{}' ';'", "-okdir rm '{}' ';'", '-exec'])
    refused(`find . -name x ${action}`, 'shell_wrapper', /runs programs/);
  for (const action of ['-delete', '-fprint out.txt', '-fprint0 out.txt', "-fprintf out.txt '%p'", '-fls out.txt'])
    refused(`find . -name x ${action}`, 'flag_not_allowed', /is not allowed/);
  for (const other of ['-files0-from list.txt', '-D tree', '-O3', '-newermt 2024-01-01', '-fstype nfs', '--help'])
    refused(`find . ${other}`, 'flag_not_allowed');
});
