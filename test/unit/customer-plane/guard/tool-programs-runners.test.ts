import { test } from 'node:test';
import { verdictsFor } from '../../../support/program-spec.ts';

/**
 * node, python and go, whose rules are code rather than a table (npm has its own file): what an agent runs
 * with them every day is accepted with the right verdict for the gate, and code from anywhere but the
 * repository — inline code, a program read from stdin, a module or folder outside the workspace, a remote
 * program — is refused. Written by hand from each tool's documentation (`node --help`, `python3 --help`,
 * `go help`), never from the guard's tables.
 */
const { accepted, refused } = verdictsFor(['npm', 'node', 'python', 'python3', 'go', 'cat', 'echo']);
const runs = { runsCode: true };
const reads = { runsCode: false };

test('node runs a workspace script or the test runner; its version and syntax check run nothing', () => {
  accepted('node scripts/build.js', runs);
  accepted('node scripts/build.js --out /tmp -e x', runs);
  accepted('node --test', runs);
  accepted('node --test test/a.test.ts test/b.test.ts', runs);
  for (const flag of ['--test-only', '--experimental-test-coverage', '--enable-source-maps', '--no-warnings', '--experimental-strip-types'])
    accepted(`node --test ${flag} test/a.test.ts`, runs);
  for (const flag of ['--trace-warnings', '--trace-uncaught', '--enable-source-maps']) accepted(`node ${flag} app.js`, runs);
  for (const [opt, value] of [
    ['--test-reporter', 'dot'],
    ['--test-reporter', 'tools/reporter.mjs'],
    ['--test-name-pattern', 'login'],
    ['--test-concurrency', '2'],
    ['--test-timeout', '60000'],
    ['--max-old-space-size', '4096'],
  ]) {
    accepted(`node --test ${opt} ${value} test/a.test.ts`, runs);
    accepted(`node --test ${opt}=${value} test/a.test.ts`, runs);
    refused(`node --test ${opt}`, 'invalid_arguments', /needs a value/);
  }
  // The reporter is a module node loads: from the workspace only.
  refused('node --test --test-reporter=/tmp/r.mjs', 'path_outside_workspace');
  refused('node --test --test-reporter ../workspace-evil/r.mjs', 'path_outside_workspace');
  refused('node --test ../other/a.test.ts', 'path_outside_workspace');
  // A name pattern may be written /regex/flags: it is no path.
  accepted('node --test --test-name-pattern=/login/i', runs);
  refused('node --test test/a.test.ts /etc/x.js', 'path_outside_workspace');
  refused('node /tmp/x.js', 'path_outside_workspace');
  refused('node ../workspace-evil/x.js', 'path_outside_workspace');
  for (const c of ['--version', '-v']) accepted(`node ${c}`, reads);
  for (const c of ['--check', '-c']) {
    accepted(`node ${c} src/app.js`, reads);
    refused(`node ${c} /etc/x.js`, 'path_outside_workspace');
    refused(`node ${c}`, 'invalid_arguments', /node --check FILE/);
    refused(`node ${c} a.js b.js`, 'invalid_arguments');
  }
  accepted('node --no-warnings --check src/app.js', reads);
});

test('node refuses inline code, stdin, preloaded modules, the inspector and options that write elsewhere', () => {
  refused('node', 'invalid_arguments', /from stdin/);
  refused('node --no-warnings', 'invalid_arguments');
  refused('echo x | node', 'invalid_arguments');
  for (const c of [
    '-',
    '-e 1',
    '--eval=1',
    '-p 1',
    '--print 1',
    '-i',
    '-r ./x.js app.js',
    '--require=./x.js app.js',
    '--import=./x.mjs app.js',
    '--loader=./x.mjs app.js',
    '--experimental-loader ./x.mjs app.js',
    '--inspect app.js',
    '--inspect-brk app.js',
    '--env-file=.env app.js',
    '--input-type=module',
    '--watch app.js',
    '--test --test-reporter-destination=/tmp/out',
    '--cpu-prof-dir=/tmp app.js',
    '--redirect-warnings=/tmp/w app.js',
    '-- app.js',
    '-v app.js',
    '--version app.js',
  ])
    refused(`node ${c}`, 'flag_not_allowed');
  refused('node -e 1', 'flag_not_allowed', /^node -e is not allowed$/);
});

test('python runs a workspace script or a listed module, never inline code or stdin', () => {
  for (const py of ['python', 'python3']) {
    accepted(`${py} scripts/gen.py`, runs);
    accepted(`${py} scripts/gen.py -c x --out /tmp`, runs);
    for (const f of ['-B', '-u', '-q']) accepted(`${py} ${f} scripts/gen.py`, runs);
    accepted(`${py} -B -u -q scripts/gen.py`, runs);
    for (const v of ['--version', '-V']) accepted(`${py} ${v}`, reads);
    refused(`${py} /tmp/x.py`, 'path_outside_workspace');
    refused(`${py} ../workspace-evil/x.py`, 'path_outside_workspace');
    refused(py, 'invalid_arguments', /from stdin/);
    refused(`${py} -u`, 'invalid_arguments');
    for (const c of [
      '-c 1',
      '-',
      '-i x.py',
      '-E x.py',
      '-I x.py',
      '-S x.py',
      '-O x.py',
      '-W error x.py',
      '-X dev x.py',
      '-V x.py',
      '--version x.py',
    ])
      refused(`${py} ${c}`, 'flag_not_allowed');
    for (const mod of ['http.server', 'pip install x', 'venv .venv', 'site', 'pydoc -p 1', 'constructor', 'toString', ''])
      refused(`${py} -m ${mod}`.trim(), 'flag_not_allowed', /python -m/);
  }
  accepted('python -B -m pytest tests', runs);
  refused('python -c 1', 'flag_not_allowed', /^python -c is not allowed$/);
  refused('python -m', 'flag_not_allowed', /^python -m\s+is not allowed$/);
  refused('python3 -m pytest --pdb', 'flag_not_allowed', /^python -m pytest --pdb is not allowed$/);
  refused('python -m unittest -s /tmp', 'path_outside_workspace');
  refused('python -m unittest discover -s ../workspace-evil', 'path_outside_workspace');
  refused('python -m mypy /etc', 'path_outside_workspace');
  for (const c of ['--install-types', '--config-file=/tmp/c', '--cache-dir=/tmp/c', '--junit-xml=/tmp/x'])
    refused(`python -m mypy ${c} src`, 'flag_not_allowed', /python -m mypy/);
});

test('go builds, tests and runs the workspace packages; version and list run nothing', () => {
  for (const sub of ['test', 'vet', 'build', 'run', 'fmt']) accepted(`go ${sub} ./...`, runs);
  for (const c of ['version', 'list ./...', 'list -json ./...']) accepted(`go ${c}`, reads);
  for (const flag of ['-v', '-race', '-cover', '-short', '-failfast', '-json', '-x', '-n']) accepted(`go test ${flag} ./...`, runs);
  for (const [opt, value] of [
    ['-run', 'TestLogin'],
    ['-count', '1'],
    ['-timeout', '60s'],
    ['-bench', '.'],
    ['-benchtime', '2s'],
    ['-tags', 'integration'],
    ['-p', '2'],
    ['-parallel', '4'],
    ['-skip', 'TestSlow'],
  ]) {
    accepted(`go test ${opt} ${value} ./...`, runs);
    accepted(`go test ./... ${opt}=${value}`, runs);
    refused(`go test ./... ${opt}`, 'invalid_arguments', /needs a value/);
  }
  for (const [opt, file] of [
    ['-o', 'bin/app'],
    ['-coverprofile', 'cover.out'],
  ]) {
    accepted(`go build ${opt} ${file} ./cmd/app`, runs);
    accepted(`go test ${opt}=${file} ./...`, runs);
    refused(`go build ${opt}`, 'invalid_arguments');
    refused(`go build ${opt} /tmp/app`, 'path_outside_workspace');
    refused(`go test ${opt}=../workspace-evil/c.out`, 'path_outside_workspace');
    refused(`go build ${opt} .git/hooks/pre-commit`, 'path_invalid');
  }
  accepted('go run ./cmd/app -- --port 80', runs);
});

test('go refuses packages outside the workspace, remote programs, and flags that run or read other things', () => {
  refused('go build /tmp/x', 'path_outside_workspace');
  refused('go', 'subcommand_not_allowed', /^go\s+is not allowed$/);
  refused('go generate ./...', 'subcommand_not_allowed', /^go generate is not allowed$/);
  refused('go test -exec=sh ./...', 'flag_not_allowed', /^go -exec is not allowed$/);
  refused('go test ../workspace-evil/...', 'path_outside_workspace');
  // `--` before the package would skip the package's check.
  refused('go run -- /tmp/evil.go', 'invalid_arguments', /go run -- before a package/);
  refused('go test -v -- ./...', 'invalid_arguments');
  for (const c of ['run golang.org/x/tools/cmd/stringer@latest', 'run ./cmd@v1', 'build example.com/x@v1.2.3'])
    refused(`go ${c}`, 'shell_wrapper', /outside the repository/);
  for (const c of [
    '-exec sh',
    '-toolexec=sh',
    '-modfile=/tmp/go.mod',
    '-C /tmp',
    '-overlay=/tmp/o.json',
    '-ldflags=-X',
    '-mod=mod',
    '-pkgdir=/tmp',
  ])
    refused(`go test ${c} ./...`, 'flag_not_allowed');
  for (const c of [
    'generate',
    'install x',
    'get x',
    'mod tidy',
    'tool pprof',
    'env -w X=1',
    'clean -cache',
    'work init',
    'constructor',
    '',
  ])
    refused(`go ${c}`.trim(), 'subcommand_not_allowed');
});
