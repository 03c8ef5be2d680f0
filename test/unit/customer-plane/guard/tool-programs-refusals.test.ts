import { test } from 'node:test';
import { verdictsFor } from '../../../support/program-spec.ts';

/**
 * The options and subcommands of the test runners, build tools and linters that must stay refused,
 * written out by hand from each tool's documentation (tool-programs-options.test.ts has the allowed
 * ones): options that load or run code from elsewhere, read or write outside the workspace, change
 * files a linter should only report on, or never end (watch modes, inspectors).
 */
const TOOLS = ['make', 'tsc', 'eslint', 'prettier', 'jest', 'vitest', 'mocha', 'flake8', 'ruff', 'pytest', 'python3', 'cargo'];
const { accepted, refused } = verdictsFor(TOOLS);
const runs = { runsCode: true };

/** Per command, options that must be refused as not allowed; each is tried before a realistic operand. */
const UNSAFE: Record<string, { at: string; after: string; options: string[] }> = {
  make: {
    at: 'make',
    after: 'test',
    // --eval runs make code (and so shell recipes) from the command line; -t writes files instead of building them.
    options: [
      '-e',
      '--eval=x',
      '-E x',
      '-I /tmp',
      '--include-dir=/tmp',
      '-o x',
      '-W x',
      '-t',
      '--touch',
      '-p',
      '-d',
      '--debug',
      '-r',
      '-R',
      '-l 2',
    ],
  },
  tsc: {
    at: 'tsc',
    after: '',
    options: [
      '-w',
      '--watch',
      '--init',
      '--outFile=out.js',
      '--declarationDir=/tmp/d',
      '--tsBuildInfoFile=/tmp/b',
      '--generateTrace=/tmp/t',
      '--rootDir=/',
    ],
  },
  eslint: {
    at: 'eslint',
    after: 'src',
    options: [
      '--rulesdir=/tmp',
      '--resolve-plugins-relative-to=/tmp',
      '--plugin=x',
      '--parser=x',
      '--stdin',
      '--stdin-filename=x',
      '--cache-location=/tmp/c',
      '--init',
      '--env=node',
      '--print-config=x',
      '--fix=true',
      '--quiet=1',
    ],
  },
  prettier: { at: 'prettier', after: 'src', options: ['--plugin=./p.js', '--stdin-filepath=x', '--cache-location=/tmp/c', '--write=all'] },
  jest: {
    at: 'jest',
    after: 'auth',
    options: [
      '-c /tmp/j.js',
      '--config=/tmp/j.js',
      '--rootDir=/',
      '--roots=/',
      '--setupFiles=x.js',
      '--reporters=x',
      '--coverageDirectory=/tmp',
      '--outputFile=/tmp/o',
      '--watch',
      '--globalSetup=x.js',
      '--testResultsProcessor=x',
      '--ci=false',
    ],
  },
  vitest: {
    at: 'vitest',
    after: 'auth',
    options: [
      '-c /tmp/v.ts',
      '--config=/tmp/v.ts',
      '-r /',
      '--root=/',
      '--dir=/',
      '--outputFile=/tmp/o',
      '--ui',
      '--api',
      '--watch',
      '-w',
      '--globalSetup=x',
    ],
  },
  mocha: {
    at: 'mocha',
    after: 'test',
    options: [
      '-r x',
      '--require=x',
      '--file=/tmp/x',
      '--config=/tmp/x',
      '--reporter-option=output=/tmp/o',
      '-O output=/tmp/o',
      '--watch',
      '-w',
      '-n inspect',
      '--node-option=inspect',
      '--inspect',
      '--ui=/tmp/u.js',
    ],
  },
  flake8: { at: 'flake8', after: 'src', options: ['--enable-extensions=X', '--require-plugins=x', '--count=1'] },
  'ruff check': {
    at: 'ruff check',
    after: 'src',
    options: [
      '--fix',
      '--unsafe-fixes',
      '--fix-only',
      '--add-noqa',
      '--watch',
      '-w',
      '--cache-dir=/tmp/c',
      '-o out.txt',
      '--output-file=out.txt',
      '--stdin-filename=x',
      '--no-cache=1',
    ],
  },
  pytest: {
    at: 'pytest',
    after: 'tests',
    // -S is no pytest option; --basetemp empties the folder it names.
    options: [
      '-S',
      '-c /tmp/p.ini',
      '--config-file=/tmp/p.ini',
      '--rootdir=/',
      '--confcutdir=/',
      '-o addopts=x',
      '--override-ini=x',
      '--basetemp=/tmp/b',
      '--pdb',
      '--pdbcls=x:y',
      '--trace',
      '--pyargs',
      '--import-mode=append',
      '--debug=/tmp/log',
      '--lf=1',
    ],
  },
  cargo: {
    at: 'cargo test',
    after: '',
    options: [
      '--manifest-path=/tmp/Cargo.toml',
      '--target-dir=/tmp/t',
      '--config=target.x.runner=sh',
      '-Z unstable',
      '--out-dir=/tmp',
      '-C /tmp',
      '--release=1',
    ],
  },
};

for (const [name, { at, after, options }] of Object.entries(UNSAFE)) {
  test(`${name}: options that run code from elsewhere, reach outside the workspace, rewrite files or never end are refused`, () => {
    for (const option of options) refused(`${at} ${option} ${after}`.trim(), 'flag_not_allowed');
  });
}

test('a refusal names the tool and the option, without the value', () => {
  refused('jest --config=/tmp/j.js', 'flag_not_allowed', /^jest --config is not allowed$/);
  refused('make -e test', 'flag_not_allowed', /^make -e is not allowed$/);
  refused('eslint --fix=true src', 'flag_not_allowed', /^eslint --fix takes no value$/);
  refused('ruff check --fix', 'flag_not_allowed', /^ruff check --fix is not allowed$/);
  refused('pytest --pdb', 'flag_not_allowed', /^pytest --pdb is not allowed$/);
  refused('cargo build --target-dir=/tmp', 'flag_not_allowed', /^cargo build --target-dir is not allowed$/);
  refused('tsc --target', 'invalid_arguments', /^tsc --target needs a value$/);
  refused('jest -t', 'invalid_arguments', /^jest -t needs a value$/);
  refused('make -f - test', 'invalid_arguments', /^-f may not read from stdin$/);
  refused('tsc --target=', 'invalid_arguments', /^option --target needs a value$/);
});

test('ruff only checks: its other subcommands are refused, and its version stands alone', () => {
  accepted('ruff check');
  accepted('ruff check --no-fix src tests');
  accepted('ruff --version');
  accepted('ruff version');
  for (const sub of [
    'format',
    'format --check',
    'clean',
    'server',
    'rule E501',
    'config',
    'analyze graph',
    'constructor',
    '--fix',
    '--version check',
  ])
    refused(`ruff ${sub}`, 'subcommand_not_allowed', /only ruff check/);
  refused('ruff', 'subcommand_not_allowed', /^ruff\s+is not allowed \(only ruff check\)$/);
  refused('ruff version --output-format json', 'subcommand_not_allowed');
  refused('ruff check /etc', 'path_outside_workspace');
  refused('ruff check ../workspace-evil', 'path_outside_workspace');
});

test('cargo runs only its build, test and lint subcommands; only test and bench take a name filter', () => {
  accepted('cargo test login', runs);
  accepted('cargo bench parse', runs);
  accepted('cargo test -- --nocapture', runs);
  accepted('cargo run -- --port 80 /tmp/x', runs);
  accepted('cargo build --release -p core', runs);
  refused('cargo', 'subcommand_not_allowed', /^cargo\s+is not allowed$/);
  refused('cargo install ripgrep', 'subcommand_not_allowed', /^cargo install is not allowed$/);
  for (const sub of ['build', 'check', 'clippy', 'run', 'doc', 'fmt'])
    refused(`cargo ${sub} extra`, 'invalid_arguments', /takes no operands/);
  for (const sub of [
    'install ripgrep',
    'publish',
    'login',
    'add serde',
    'update',
    'new x',
    'init',
    'clean',
    'fix',
    'remove serde',
    'yank x',
    'owner x',
    'package',
    'vendor',
    'generate-lockfile',
    '+nightly test',
    'search x',
    'constructor',
    '',
  ])
    refused(`cargo ${sub}`.trim(), 'subcommand_not_allowed');
});

test('pytest -p only disables a plugin; loading one by name would import any module', () => {
  for (const p of ['pytest', 'python3 -m pytest']) {
    accepted(`${p} -p no:cacheprovider tests`, runs);
    accepted(`${p} -pno:randomly tests`, runs);
    accepted(`${p} -p no:xdist.looponfail -p no:cov_2-x tests`, runs);
    for (const bad of ['myplugin', 'no:', 'no:a/b', "'no:x y'", 'xno:x', "'no:x;y'"])
      refused(`${p} -p ${bad} tests`, 'flag_not_allowed', /-p may only disable a plugin/);
    refused(`${p} -p no:cacheprovider -p evil tests`, 'flag_not_allowed');
    refused(`${p} -p '' tests`, 'invalid_arguments');
    refused(`${p} tests -p`, 'invalid_arguments');
  }
});

test('pytest --cov-report writes its report only inside the workspace', () => {
  for (const report of ['term', 'term-missing', 'term-missing:skip-covered', 'xml', 'xml:reports/cov.xml', 'html:htmlcov', 'json:cov.json'])
    accepted(`pytest --cov=src --cov-report=${report} tests`, runs);
  accepted('pytest --cov-report xml:reports/cov.xml tests', runs);
  refused('pytest --cov-report=xml:/tmp/cov.xml tests', 'path_outside_workspace');
  refused('pytest --cov-report html:../workspace-evil tests', 'path_outside_workspace');
  refused('python3 -m pytest --cov-report=xml:.git/hooks/pre-commit tests', 'path_invalid');
  refused('pytest --cov-report=html: tests', 'path_invalid');
});

test('make targets are plain names; a variable override would change what the recipes run', () => {
  accepted('make test build/app.o lint-all', runs);
  accepted('make -j4 -C services/api test', runs);
  refused('make CC=sh', 'env_assignment', /make variable override CC=sh/);
  refused('make test SHELL=/bin/sh', 'env_assignment');
  for (const t of ["'a b'", "'x;y'", "'\\$(id)'", "''"]) refused(`make ${t}`, 'invalid_arguments', /make target/);
});

test('the tools whose operands are paths refuse a path outside the workspace, including a sibling that shares its name', () => {
  for (const c of [
    'tsc',
    'eslint',
    'prettier --check',
    'mocha',
    'flake8',
    'ruff check',
    'pytest',
    'python3 -m pytest',
    'python3 -m mypy',
  ]) {
    refused(`${c} /etc/passwd`, 'path_outside_workspace');
    refused(`${c} src ../other`, 'path_outside_workspace');
    refused(`${c} ../workspace-evil/src`, 'path_outside_workspace');
  }
  // jest and vitest take test name filters, not paths: nothing there is opened by name.
  accepted('jest auth/login', runs);
  accepted('vitest auth', runs);
});
