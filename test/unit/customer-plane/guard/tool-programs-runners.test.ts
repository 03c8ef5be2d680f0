import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';

/**
 * npm, node, python and go, whose rules are code rather than a table: what an agent runs with them every
 * day is accepted with the right verdict for the gate, and code from anywhere but the repository — inline
 * code, a program read from stdin, any package's binary, a module or folder outside the workspace — is
 * refused. Written by hand from each tool's documentation (`npm help`, `node --help`, `python3 --help`,
 * `go help`), never from the guard's tables.
 */
const guard = await createCommandGuard();
const check = (command: string) => guard.check(command, { programs: ['npm', 'node', 'python', 'python3', 'go', 'cat', 'echo'] });
function accepted(command: string, verdict: { consequences?: string[]; runsCode: boolean }) {
  const v = check(command);
  assert.ok(v.ok, v.ok ? '' : `${command} was refused: ${v.reason}: ${v.detail}`);
  assert.deepEqual(v.command.consequences, verdict.consequences ?? [], command);
  assert.equal(v.command.runsRepositoryCode, verdict.runsCode, command);
}
function refused(command: string, reason: string, detail?: RegExp) {
  const v = check(command);
  assert.equal(v.ok ? 'accepted' : v.reason, reason, command);
  if (detail && !v.ok) assert.match(v.detail, detail, command);
}
const runs = { runsCode: true };
const reads = { runsCode: false };
const network = { consequences: ['network'], runsCode: false };

test('npm runs the repository scripts under every alias, with the options an agent uses', () => {
  for (const c of ['test', 't', 'tst', 'start', 'run build', 'run-script build', 'rum build', 'urn build', 'run', 'test -- --grep x'])
    accepted(`npm ${c}`, runs);
  for (const name of ['build', 'test:unit', 'lint.fix', 'a_b-c', 'Build2']) accepted(`npm run ${name}`, runs);
  for (const opt of ['-s', '--silent', '--if-present', '--json', '--foreground-scripts', '--workspaces', '--include-workspace-root'])
    accepted(`npm run build ${opt}`, runs);
  for (const opt of ['-w api', '-wapi', '--workspace api', '--workspace=api', '--loglevel warn', '--loglevel=silent'])
    accepted(`npm test ${opt}`, runs);
  for (const opt of ['--workspace', '-w', '--loglevel', '--depth', '--omit'])
    refused(`npm test ${opt}`, 'invalid_arguments', /needs a value/);
  for (const opt of ['--loglevel=', '--depth=', '--omit=']) refused(`npm test ${opt}`, 'invalid_arguments', /needs a value/);
  for (const opt of ['--workspace=', "-w ''"]) refused(`npm test ${opt}`, 'path_invalid');
  for (const opt of ['-w ../other', '--workspace=/tmp/pkg', '-w ../workspace-evil']) refused(`npm test ${opt}`, 'path_outside_workspace');
  // The script's arguments are the script's business: npm test passes them on unchecked.
  accepted("npm test 'test/a b.test.ts'", runs);
  // What follows `--` belongs to the script, whatever it looks like.
  accepted('npm run build -- --prefix=/tmp ../x', runs);
  // A script name is a plain word, for every alias of run.
  for (const alias of ['run', 'run-script', 'rum', 'urn']) refused(`npm ${alias} 'build;id'`, 'invalid_arguments', /npm script name/);
  refused("npm run 'a b'", 'invalid_arguments');
  refused("npm run ''", 'invalid_arguments');
});

test('npm install reaches the network and runs install scripts; ls only reads; audit and view only reach the network', () => {
  const install = { consequences: ['network'], runsCode: true };
  for (const c of ['ci', 'install', 'i', 'add lodash', 'install lodash@^4.17.0', 'i @scope/pkg@1.2.3', 'install ./vendor/pkg.tgz'])
    accepted(`npm ${c}`, install);
  for (const opt of [
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--offline',
    '--ignore-scripts',
    '--save-dev',
    '--save-exact',
    '--dry-run',
  ])
    accepted(`npm install ${opt}`, install);
  accepted('npm ci --omit dev', install);
  accepted('npm ci --omit=dev', install);
  refused('npm ci --omit', 'invalid_arguments');
  for (const c of ['ls', 'list', 'll', 'la', 'ls --all', 'ls --depth 0', 'ls --depth=0 --json']) accepted(`npm ${c}`, reads);
  refused('npm ls lodash', 'invalid_arguments', /npm ls takes no packages/);
  refused('npm list lodash', 'invalid_arguments');
  for (const c of ['outdated', 'audit', 'audit --json', 'view lodash', 'info lodash', 'show lodash', 'search lodash'])
    accepted(`npm ${c}`, network);
  accepted('npm pack', runs);
  accepted('npm publish --dry-run', { consequences: ['deploy', 'network'], runsCode: true });
});

test('npm install, pack and publish take no folder or tarball from outside the workspace, however it is spelled', () => {
  for (const sub of ['install', 'i', 'add', 'ci', 'pack', 'publish']) {
    for (const spec of ['/tmp/pkg', '../other', '../workspace-evil', 'file:../other', 'file:/tmp/pkg', 'evil@file:../x', 'evil@../x'])
      refused(`npm ${sub} ${spec}`, 'path_outside_workspace');
    refused(`npm ${sub} '~/pkg'`, 'path_outside_workspace', /home folder/);
    // `--` ends npm's options; the words after it are still packages.
    refused(`npm ${sub} -- /tmp/pkg`, 'path_outside_workspace');
    refused(`npm ${sub} -- file:../x`, 'path_outside_workspace');
    refused(`npm ${sub} lodash ../x`, 'path_outside_workspace');
    refused(`npm ${sub} a@../x`, 'path_outside_workspace');
  }
  accepted('npm install file:vendor/pkg', { consequences: ['network'], runsCode: true });
  accepted('npm install lodash@~4.17.0', { consequences: ['network'], runsCode: true });
  accepted('npm pack -- packages/a', runs);
});

test('npm subcommands that run any package, change global state or publish under another name are refused', () => {
  for (const c of ['exec eslint', 'x eslint', 'explore lodash']) refused(`npm ${c}`, 'shell_wrapper', /runs arbitrary programs/);
  for (const c of [
    'init vite',
    'create vite',
    'link',
    'uninstall lodash',
    'update',
    'rebuild',
    'config set registry x',
    'set-script x y',
    'restart',
    'stop',
    'login',
    'adduser',
    'token list',
    'owner add x',
    'dist-tag add x',
    'deprecate x',
    'unpublish x',
    'access public',
    'cache clean',
    'prune',
    'dedupe',
    'edit lodash',
    'version patch',
    'pkg set x=y',
    'constructor',
    '__proto__',
    'toString',
  ])
    refused(`npm ${c}`, 'subcommand_not_allowed');
  refused('npm', 'invalid_arguments', /npm needs a command/);
  refused('npm link', 'subcommand_not_allowed', /^npm link is not allowed$/);
  refused('npm install -g', 'flag_not_allowed', /^npm -g is not allowed$/);
  refused('npm -s', 'invalid_arguments');
  refused('npm -- exec x', 'invalid_arguments');
  for (const opt of [
    '-g',
    '--global',
    '--prefix=/tmp',
    '--userconfig=/tmp/npmrc',
    '--script-shell=sh',
    '--registry=https://x',
    '--cache=/tmp',
  ])
    refused(`npm install ${opt}`, 'flag_not_allowed');
  refused('npm test --node-options=--require=x', 'flag_not_allowed');
  refused('npm run build --silent=false', 'flag_not_allowed');
});

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
  refused('go run -- /tmp/evil.go', 'invalid_arguments');
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
