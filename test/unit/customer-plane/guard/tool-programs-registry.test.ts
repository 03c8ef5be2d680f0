import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import { checkProgram, refusedByName, registeredPrograms } from '../../../../customer-plane/guard/programs/registry.ts';

/**
 * The guard's registry of programs, and the option reader every program table goes through. Programs
 * that start other programs or code from their arguments, and network clients, are refused by name with
 * their own codes even when an agent's list names them; a program the guard does not know is refused
 * whatever the list says. The lists here are written by hand, from what each program does.
 */
const guard = await createCommandGuard();
const reason = (command: string, programs: string[]) => {
  const v = guard.check(command, { programs });
  return v.ok ? 'accepted' : v.reason;
};

const WRAPPERS = [
  ...['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'csh', 'tcsh', 'busybox'],
  // Run the program named in their arguments, under another user, limit, namespace or tracer.
  ...['env', 'xargs', 'sudo', 'su', 'doas', 'runuser', 'pkexec', 'timeout', 'nice', 'ionice', 'nohup', 'setsid', 'stdbuf', 'time'],
  ...['watch', 'chroot', 'unshare', 'nsenter', 'flock', 'taskset', 'script', 'strace', 'ltrace', 'gdb', 'fakeroot', 'parallel'],
  ...['exec', 'eval', 'source', 'command', 'builtin'],
  // Interpreters of a program given inline, and editors and pagers with a shell escape.
  ...['awk', 'gawk', 'mawk', 'nawk', 'perl', 'ruby', 'php', 'lua', 'tclsh', 'expect'],
  ...['vi', 'vim', 'nvim', 'emacs', 'nano', 'less', 'more', 'man'],
  // Any package's binary, fetched if need be; and programs that run a command later.
  ...['npx', 'pnpx', 'bunx', 'dlx', 'at', 'batch', 'crontab'],
];
const NETWORK = [
  ...['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'ssh', 'scp', 'sftp', 'rsync', 'telnet', 'ftp', 'tftp'],
  ...['ping', 'dig', 'nslookup', 'host', 'openssl', 'aws', 'gcloud', 'az', 'gh', 'http', 'https', 'httpie', 'aria2c', 'lynx', 'w3m'],
];
const TOOLS = [
  'npm',
  'node',
  'python',
  'python3',
  'pytest',
  'ruff',
  'flake8',
  'make',
  'tsc',
  'eslint',
  'prettier',
  'jest',
  'vitest',
  'mocha',
];

test('programs that run other programs or code from their arguments are refused by name, even when an agent lists them', () => {
  for (const name of WRAPPERS) {
    assert.equal(reason(`${name} x`, [name]), 'shell_wrapper', name);
    assert.equal(reason(`${name} x`, []), 'shell_wrapper', name);
  }
  // `.` never reaches the registry from a command line (it is not a plain program name there), but the rule holds.
  assert.equal(refusedByName('.')?.reason, 'shell_wrapper');
  assert.match(refusedByName('xargs')!.detail, /xargs runs other programs or code from its arguments/);
});

test('network clients are refused by name, pointing the agent at the fetch_url tool', () => {
  for (const name of NETWORK) assert.equal(reason(`${name} x`, [name]), 'network_not_allowed', name);
  assert.match(refusedByName('curl')!.detail, /curl reaches the network; use the fetch_url tool/);
});

test('a program the guard does not know is refused whatever the list says, prototype names included', () => {
  for (const name of ['terraform', 'docker', 'kubectl', 'printenv', 'pip', 'yarn', 'pnpm', 'bun', 'deno', 'python2', 'node20']) {
    assert.equal(reason(`${name} x`, [name]), 'program_not_allowed', name);
  }
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
    assert.equal(reason(`${name} x`, [name]), 'program_not_allowed', name);
    assert.equal(guard.checkArgv([name, 'x'], { programs: [name] }).ok, false, name);
  }
  assert.match(refusedByName('terraform')!.detail, /terraform is not a program the guard knows/);
});

test('every tool is in the registry: with the agent listing it, it runs; without, it is refused', () => {
  for (const name of [...TOOLS, 'go', 'cargo']) {
    assert.equal(refusedByName(name), undefined, name);
    assert.equal(reason(`${name} x`, []), 'program_not_allowed', name);
  }
  for (const c of ['npm test', 'node a.js', 'python a.py', 'python3 a.py', 'pytest', 'ruff check', 'flake8', 'make', 'tsc', 'go version'])
    assert.equal(reason(c, [c.split(' ')[0]!]), 'accepted', c);
  for (const c of [
    'eslint src',
    'prettier --check src',
    'jest',
    'vitest',
    'mocha',
    'cargo test',
    'git status',
    'find src',
    "sed -n '1p' a",
  ])
    assert.equal(reason(c, [c.split(' ')[0]!]), 'accepted', c);
});

test('the list of registered programs is sorted, once each, with every tool and none of the refused names', () => {
  const all = registeredPrograms();
  assert.deepEqual(all, [...all].sort());
  assert.equal(new Set(all).size, all.length);
  for (const name of [...TOOLS, 'go', 'cargo', 'find', 'git', 'sed', 'cat', 'grep', 'ls', 'rm', 'cp']) assert.ok(all.includes(name), name);
  for (const name of [...WRAPPERS, ...NETWORK]) assert.ok(!all.includes(name), name);
});

const tools = [...TOOLS, 'head', 'tail', 'pwd', 'touch', 'mkdir', 'sed', 'git'];
const r = (command: string) => reason(command, tools);

test('short options combine, and a value is attached or the next word, even one that looks like an option', () => {
  assert.equal(r('jest -iu auth'), 'accepted');
  assert.equal(r('pytest -vk login tests'), 'accepted');
  assert.equal(r('pytest -vklogin tests'), 'accepted');
  // The value of -k is `-S`, which as an option would be refused (pytest has no -S).
  assert.equal(r('pytest -k -S tests'), 'accepted');
  assert.equal(r('jest -t --coverage'), 'accepted');
  assert.equal(r('jest -iq auth'), 'flag_not_allowed');
  assert.match((guard.check('jest -iq auth', { programs: tools }) as { detail: string }).detail, /^jest -q is not allowed$/);
  // An option's value is only checked as what it is: a path in `-C`, after flags in the same word.
  assert.equal(r('make -kC /tmp test'), 'path_outside_workspace');
  assert.equal(r('make -kC services/api test'), 'accepted');
  // Each flag of a group is recorded by its own name: git config -l lists, and then takes no key.
  assert.equal(r('git config -l'), 'accepted');
  assert.equal(r('git config -l user.name'), 'invalid_arguments');
});

test('an optional value is only ever attached; the next word stays an operand', () => {
  assert.equal(r('make -j 4 test'), 'accepted');
  assert.equal(r("make -j 'a b'"), 'invalid_arguments');
  assert.equal(r("make --jobs 'a b'"), 'invalid_arguments');
  assert.equal(r('make --jobs=4 -k'), 'accepted');
  assert.equal(r('make -j4k test'), 'accepted');
});

test('`--` ends the options: what follows is an operand, still checked as one; a lone `-` is an operand too', () => {
  assert.equal(r('ruff check -- --fix'), 'accepted');
  assert.equal(r('pytest -- -k'), 'accepted');
  assert.equal(r('pytest -- /etc'), 'path_outside_workspace');
  assert.equal(r('tsc -- ../workspace-evil/a.ts'), 'path_outside_workspace');
  assert.equal(r('ruff check -'), 'accepted');
  assert.equal(r('mocha -'), 'accepted');
  // `--` itself is no operand, nor are the options before it: an option's value may be what no operand may be.
  assert.equal(r('pwd --'), 'accepted');
  assert.equal(r('pwd -'), 'invalid_arguments');
  assert.equal(r('pytest -k ../x -- tests'), 'accepted');
  assert.equal(r('pytest -k ../x -- ../y'), 'path_outside_workspace');
});

test('a long option a program does not have is refused, also for a program with no long options at all', () => {
  assert.equal(r('pwd --help'), 'flag_not_allowed');
  assert.equal(r('pytest --help'), 'flag_not_allowed');
  // An optional value does not hide the option: sed --in-place still writes the files it names.
  assert.equal(r('sed --in-place=.bak s/a/b/ notes.txt'), 'accepted');
  assert.equal(r('sed --in-place s/a/b/ .git/config'), 'path_invalid');
  assert.equal(r('sed s/a/b/ .git/config'), 'accepted');
});

test('a bare count (-20) is only read where the program takes one, and is only a dash and digits', () => {
  assert.equal(r('head -20 README.md'), 'accepted');
  assert.equal(r('head -x-5 README.md'), 'flag_not_allowed');
  assert.equal(r('tail -5 log.txt'), 'accepted');
  assert.equal(r('head -2x README.md'), 'flag_not_allowed');
  assert.equal(r('tsc -20'), 'flag_not_allowed');
  assert.equal(r('pytest -5 tests'), 'flag_not_allowed');
});

test('a program without consequences of its own reports none, and runs no repository code', () => {
  for (const c of ['sed -n 1p a.txt', 'head -5 a.txt', 'ruff check']) {
    const v = guard.check(c, { programs: tools });
    assert.ok(v.ok, c);
    assert.deepEqual(v.command.consequences, [], c);
    assert.equal(v.command.runsRepositoryCode, false, c);
  }
  // Called without the registry's name check first, a program no table knows is still refused.
  assert.equal((checkProgram('terraform', ['apply']) as { reason: string }).reason, 'program_not_allowed');
  assert.match((checkProgram('terraform', []) as { detail: string }).detail, /^terraform is not a program the guard knows$/);
});

test('operands are checked as what the program does with them: read, written, or none at all', () => {
  assert.equal(r('touch build/stamp'), 'accepted');
  assert.equal(r('touch .git/hooks/pre-commit'), 'path_invalid');
  assert.equal(r('mkdir ../workspace-evil'), 'path_outside_workspace');
  assert.equal(r('mkdir .'), 'path_invalid');
  assert.equal(r('pwd'), 'accepted');
  assert.equal(r('pwd src'), 'invalid_arguments');
  assert.match((guard.check('pwd src', { programs: tools }) as { detail: string }).detail, /^pwd takes no operands$/);
  assert.equal(r('head -n 5 .git/config'), 'accepted');
});
