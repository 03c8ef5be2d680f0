import { test } from 'node:test';
import { type Rule, verdictsFor } from '../../../support/program-spec.ts';

/**
 * The options of the test runners, build tools and linters an agent relies on, written out by hand from
 * each tool's documentation (`--help`, man pages) — never read from the guard's tables, so a table that
 * loses or gains an entry fails here. Each option is tried before the operands and as the command's last
 * word, so an option that wrongly started to want a value (or lost one) shows. The agent's list is
 * written out too: a program missing from the guard's registry is refused, whatever the list says.
 */
const TOOLS = ['make', 'tsc', 'eslint', 'prettier', 'jest', 'vitest', 'mocha', 'flake8', 'ruff', 'pytest', 'python', 'python3', 'cargo'];
const { proveOptions } = verdictsFor(TOOLS);

const pytest: Rule = {
  at: 'tests',
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
};

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
const cargo: Rule = { at: '', flags: cargoFlags, values: cargoValues, runsCode: true };

const ALLOWED: Record<string, Rule> = {
  make: {
    at: 'test',
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
    at: '',
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
    at: 'src',
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
    at: 'src',
    flags: '-c -w -l --check --write --list-different',
    values: [['--log-level', 'warn']],
    reads: [
      ['--config', '.prettierrc'],
      ['--ignore-path', '.prettierignore'],
    ],
    runsCode: true,
  },
  jest: {
    at: 'auth',
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
    at: 'auth',
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
    at: 'test',
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
    at: 'src',
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
    at: 'src',
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
  pytest,
  'python -m pytest': pytest,
  'python3 -m pytest': pytest,
  'python -m unittest discover': {
    at: '',
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
  'python3 -m mypy': { at: 'src', flags: '--strict --ignore-missing-imports --no-error-summary', runsCode: true },
  'python -m compileall': { at: 'src', flags: '-q -f', runsCode: true },
  'python -m py_compile': { at: 'app.py', flags: '-q', runsCode: true },
  'python -m doctest': { at: 'README.md', flags: '-v', runsCode: true },
  'cargo test': cargo,
  'cargo build': cargo,
  'cargo check': cargo,
  'cargo clippy': cargo,
  'cargo run': cargo,
  'cargo doc': cargo,
  'cargo bench': cargo,
  'cargo fmt': { at: '', flags: '--check --all -q -v', values: [['-p', 'core']], runsCode: true },
};

for (const [program, rule] of Object.entries(ALLOWED)) {
  test(`${program}: every option an agent relies on is accepted, and whether it runs the repository's code is reported`, () =>
    proveOptions(program, rule));
}
