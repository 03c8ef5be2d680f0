import { test } from 'node:test';
import { verdictsFor } from '../../../support/program-spec.ts';

/**
 * npm, whose rule is code rather than a table: the scripts, installs and listings an agent runs every day
 * are accepted with the verdict the gate needs (network, deploy, repository code), and any package's
 * binary, a folder or tarball outside the workspace, or options that swap npm's shell, prefix or config
 * are refused. Written by hand from npm's documentation (`npm help`), never from the guard's tables.
 */
const { accepted, refused } = verdictsFor(['npm']);
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
