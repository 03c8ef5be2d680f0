import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';

/**
 * The options of the test runners, build tools and linters an agent relies on, written out by hand from
 * each tool's documentation (`--help`, man pages) — never read from the guard's tables, so a table that
 * loses or gains an entry fails here. Each option is tried in a realistic command and as the command's
 * last word, so an option that wrongly started to want a value (or lost one) shows. The agent's list is
 * written out too: a program missing from the guard's registry is refused, whatever the list says.
 */
const guard = await createCommandGuard();
const TOOLS = ['make', 'tsc', 'eslint', 'prettier', 'jest', 'vitest', 'mocha', 'flake8', 'ruff', 'pytest', 'python', 'python3', 'cargo'];
const check = (command: string) => guard.check(command, { programs: TOOLS });
const words = (s: string) => s.split(' ').filter((w) => w !== '');

type Rule = {
  /** The program and the words before the option: a subcommand, a target, a path. */
  at: string;
  /** Options without a value, each tried alone at the end of the command. */
  flags: string;
  /** Options that need a value, with a realistic one; an empty or a missing value is refused. */
  values?: Array<[string, string]>;
  /** Options whose value is optional and attached only: tried bare at the end and with the value. */
  optional?: Array<[string, string]>;
  /** Options naming a file or folder the tool reads: it must be inside the workspace, and not stdin. */
  reads?: Array<[string, string]>;
  /** Options naming a file the tool writes: inside the workspace and never into `.git`. */
  writes?: Array<[string, string]>;
  /** Whether the command executes the repository's own code (the gate sandboxes it or asks a person). */
  runsCode: boolean;
};

const pytest = (at: string): Rule => ({
  at,
  flags:
    '-q -v -x -s -l --lf --ff --last-failed --failed-first --collect-only --co --no-header --disable-warnings --strict-markers ' +
    '--verbose --quiet --exitfirst',
  values: [
    ['-k', 'login'],
    ['-m', 'slow'],
    ['-n', '2'],
    ['-r', 'fE'],
    ['-W', 'error'],
    ['--tb', 'short'],
    ['--maxfail', '1'],
    ['--durations', '10'],
    ['--deselect', 'tests/test_a.py::test_x'],
    ['--cov-report', 'term-missing'],
  ],
  optional: [['--cov', 'src']],
  reads: [['--ignore', 'tests/slow']],
  writes: [['--junitxml', 'reports/junit.xml']],
  runsCode: true,
});

const cargoFlags =
  '-q -v --release --all --workspace --all-features --no-default-features --lib --bins --tests --all-targets --quiet --verbose ' +
  '--offline --locked --frozen --no-fail-fast';
const cargoValues: Array<[string, string]> = [
  ['-p', 'core'],
  ['--package', 'core'],
  ['-F', 'serde'],
  ['--features', 'serde'],
  ['-j', '2'],
  ['--jobs', '2'],
  ['--message-format', 'json'],
];
const cargo = (sub: string): Rule => ({ at: `cargo ${sub}`, flags: cargoFlags, values: cargoValues, runsCode: true });

const ALLOWED: Record<string, Rule> = {
  make: {
    at: 'make test',
    flags: '-k -n -s -B -i -q -w --keep-going --dry-run --silent --always-make --question',
    optional: [
      ['-j', '4'],
      ['--jobs', '4'],
    ],
    reads: [
      ['-C', 'services/api'],
      ['--directory', 'services/api'],
      ['-f', 'build/Makefile'],
      ['--file', 'build/Makefile'],
    ],
    runsCode: true,
  },
  tsc: {
    at: 'tsc',
    flags:
      '-b -v --noEmit --pretty --build --strict --skipLibCheck --listFiles --showConfig --incremental --noEmitOnError ' +
      '--declaration --emitDeclarationOnly --sourceMap --extendedDiagnostics --version',
    values: [
      ['--target', 'es2022'],
      ['--module', 'nodenext'],
      ['--moduleResolution', 'bundler'],
      ['--jsx', 'react-jsx'],
      ['--lib', 'es2022,dom'],
    ],
    reads: [
      ['-p', 'tsconfig.build.json'],
      ['--project', 'packages/web'],
    ],
    writes: [['--outDir', 'dist']],
    runsCode: true,
  },
  eslint: {
    at: 'eslint src',
    flags: '--fix --fix-dry-run --quiet --cache --no-eslintrc --no-ignore --report-unused-disable-directives --color --no-color',
    values: [
      ['--ext', '.ts'],
      ['--max-warnings', '0'],
      ['--ignore-pattern', 'dist'],
    ],
    // A formatter is a built-in name or a module eslint loads from a path.
    reads: [
      ['-c', '.eslintrc.json'],
      ['--config', '.eslintrc.json'],
      ['--ignore-path', '.eslintignore'],
      ['-f', 'json'],
      ['--format', 'tools/formatter.js'],
    ],
    writes: [
      ['-o', 'eslint.txt'],
      ['--output-file', 'eslint.txt'],
    ],
    runsCode: true,
  },
  prettier: {
    at: 'prettier src',
    flags: '-c -w -l --check --write --list-different',
    values: [['--log-level', 'warn']],
    reads: [
      ['--config', '.prettierrc'],
      ['--ignore-path', '.prettierignore'],
    ],
    runsCode: true,
  },
  jest: {
    at: 'jest auth',
    flags:
      '-i -u -b --ci --coverage --runInBand --silent --passWithNoTests --verbose --json --detectOpenHandles --forceExit --updateSnapshot',
    values: [
      ['-t', 'login'],
      ['--testNamePattern', 'login'],
      ['--testPathPattern', 'auth'],
      ['--maxWorkers', '2'],
    ],
    optional: [
      ['--bail', '1'],
      ['--watchAll', 'false'],
    ],
    runsCode: true,
  },
  vitest: {
    at: 'vitest auth',
    flags: '--run --coverage --silent --passWithNoTests',
    values: [
      ['-t', 'login'],
      ['--testNamePattern', 'login'],
      ['--bail', '1'],
    ],
    // A reporter is a built-in name or a module vitest loads from a path.
    reads: [['--reporter', 'dot']],
    runsCode: true,
  },
  mocha: {
    at: 'mocha test',
    flags: '-b --recursive --bail --exit',
    values: [
      ['-g', 'login'],
      ['--grep', 'login'],
      ['-t', '5000'],
      ['--timeout', '5000'],
    ],
    reads: [
      ['--spec', 'test/unit'],
      ['-R', 'dot'],
      ['--reporter', 'spec'],
    ],
    runsCode: true,
  },
  flake8: {
    at: 'flake8 src',
    flags: '-q -v --count --statistics --show-source --exit-zero --isolated --tee --quiet --version',
    values: [
      ['-j', '2'],
      ['--jobs', '2'],
      ['--max-line-length', '100'],
      ['--max-complexity', '10'],
      ['--select', 'E,W'],
      ['--extend-select', 'B'],
      ['--ignore', 'E501'],
      ['--extend-ignore', 'W503'],
      ['--exclude', 'build'],
      ['--extend-exclude', 'dist'],
      ['--format', 'pylint'],
    ],
    reads: [
      ['--config', 'setup.cfg'],
      ['--append-config', 'tox.ini'],
    ],
    writes: [['--output-file', 'flake8.txt']],
    // flake8 loads plugins the repository's own config names.
    runsCode: true,
  },
  'ruff check': {
    at: 'ruff check src',
    flags: '-e -q --no-cache --no-fix --exit-zero --statistics --show-fixes --isolated --quiet --preview --no-preview',
    values: [
      ['--output-format', 'json'],
      ['--select', 'E,F'],
      ['--extend-select', 'I'],
      ['--ignore', 'E501'],
      ['--extend-ignore', 'W'],
      ['--line-length', '100'],
      ['--target-version', 'py311'],
      ['--exclude', 'build'],
      ['--extend-exclude', 'dist'],
    ],
    reads: [['--config', 'ruff.toml']],
    // ruff executes nothing from the repository.
    runsCode: false,
  },
  pytest: pytest('pytest tests'),
  'python -m pytest': pytest('python -m pytest tests'),
  'python3 -m pytest': pytest('python3 -m pytest tests'),
  'python -m unittest': {
    at: 'python -m unittest discover',
    flags: '-v -q -b -f -c --verbose --quiet',
    values: [
      ['-k', 'login'],
      ['-p', "'test_*.py'"],
    ],
    reads: [
      ['-s', 'tests'],
      ['-t', '.'],
    ],
    runsCode: true,
  },
  'python3 -m mypy': { at: 'python3 -m mypy src', flags: '--strict --ignore-missing-imports --no-error-summary', runsCode: true },
  'python -m compileall': { at: 'python -m compileall src', flags: '-q -f', runsCode: true },
  'python -m py_compile': { at: 'python -m py_compile app.py', flags: '-q', runsCode: true },
  'python -m doctest': { at: 'python -m doctest README.md', flags: '-v', runsCode: true },
  'cargo test': cargo('test'),
  'cargo build': cargo('build'),
  'cargo check': cargo('check'),
  'cargo clippy': cargo('clippy'),
  'cargo run': cargo('run'),
  'cargo doc': cargo('doc'),
  'cargo bench': cargo('bench'),
  'cargo fmt': { at: 'cargo fmt', flags: '--check --all -q -v', values: [['-p', 'core']], runsCode: true },
};

function accepted(command: string, runsCode: boolean) {
  const v = check(command);
  assert.ok(v.ok, v.ok ? '' : `${command} was refused: ${v.reason}: ${v.detail}`);
  assert.deepEqual(v.command.consequences, [], command);
  assert.equal(v.command.runsRepositoryCode, runsCode, command);
}
function refused(command: string, reason: string) {
  const v = check(command);
  assert.equal(v.ok ? 'accepted' : v.reason, reason, command);
}
/** `--opt=v` for a long option, `-ov` for a short one. */
const attached = (opt: string, value: string) => (opt.startsWith('--') ? `${opt}=${value}` : `${opt}${value}`);
/** An empty value, as an agent would write one: `--opt=` or `-o ''`. */
const empty = (opt: string) => (opt.startsWith('--') ? [`${opt}=`] : [opt, "''"]);

for (const [name, rule] of Object.entries(ALLOWED)) {
  test(`${name}: every option an agent relies on is accepted, and whether it runs the repository's code is reported`, () => {
    const cmd = (...rest: string[]) => [...words(rule.at), ...rest].join(' ');
    accepted(cmd(), rule.runsCode);
    for (const flag of words(rule.flags)) accepted(cmd(flag), rule.runsCode);
    for (const [opt, value] of rule.values ?? []) {
      accepted(cmd(opt, value), rule.runsCode);
      accepted(cmd(attached(opt, value)), rule.runsCode);
      refused(cmd(...empty(opt)), 'invalid_arguments');
      refused(cmd(opt), 'invalid_arguments');
    }
    for (const [opt, value] of rule.optional ?? []) {
      accepted(cmd(opt), rule.runsCode);
      accepted(cmd(attached(opt, value)), rule.runsCode);
    }
    for (const [opt, value] of rule.reads ?? []) {
      accepted(cmd(opt, value), rule.runsCode);
      accepted(cmd(attached(opt, value)), rule.runsCode);
      refused(cmd(opt), 'invalid_arguments');
      refused(cmd(opt, '-'), 'invalid_arguments');
      refused(cmd(opt, '/etc/passwd'), 'path_outside_workspace');
      refused(cmd(attached(opt, '/etc/passwd')), 'path_outside_workspace');
      refused(cmd(opt, '../other/x'), 'path_outside_workspace');
      // A sibling folder whose name starts with the workspace's: still outside.
      refused(cmd(opt, '../workspace-evil/x'), 'path_outside_workspace');
      refused(cmd(...empty(opt)), 'path_invalid');
    }
    for (const [opt, value] of rule.writes ?? []) {
      accepted(cmd(opt, value), rule.runsCode);
      accepted(cmd(attached(opt, value)), rule.runsCode);
      refused(cmd(opt), 'invalid_arguments');
      refused(cmd(opt, '/tmp/out'), 'path_outside_workspace');
      refused(cmd(opt, '../workspace-evil/out'), 'path_outside_workspace');
      refused(cmd(opt, '.git/hooks/pre-commit'), 'path_invalid');
      refused(cmd(attached(opt, '.git/config')), 'path_invalid');
      refused(cmd(...empty(opt)), 'path_invalid');
    }
  });
}
