import { test } from 'node:test';
import { accepted, refused } from '../../../support/program-spec.ts';

/**
 * The git options and subcommands that must stay refused, written out by hand from git's
 * documentation (git-options.test.ts has the allowed ones): options that run a program, write
 * outside the index, read outside the workspace, sign, open an editor or an interactive mode, or point
 * git at another repository or configuration.
 */

const UNSAFE: Record<string, string[]> = {
  // Another repository, work tree, configuration or program directory for the whole command.
  '': [
    '-c core.pager=sh',
    '-C ..',
    '--git-dir=/tmp/x',
    '--work-tree=/',
    '--exec-path=/tmp',
    '-p',
    '--config-env=core.pager=P',
    '--namespace=x',
    '--bare',
    '--paginate',
  ],
  diff: ['--output=out.txt', '--ext-diff', '--textconv', '--no-index', '-O/tmp/order'],
  log: ['--output=out.txt', '--ext-diff', '--textconv', '--show-signature', '-O/tmp/order'],
  show: ['--output=out.txt', '--ext-diff', '--textconv', '--show-signature'],
  'diff-tree': ['--output=out.txt', '--ext-diff', '--textconv', '--stdin'],
  grep: ['-O', '--open-files-in-pager', '--textconv', '--no-index'],
  blame: ['--contents=/etc/passwd', '-S revs.txt', '--textconv'],
  'cat-file': ['--textconv', '--filters'],
  'ls-files': ['--exclude-from=/etc/passwd', '-X /etc/passwd'],
  'rev-parse': ['--git-path=hooks'],
  commit: [
    '-S',
    '--gpg-sign',
    '-e',
    '--edit',
    '--interactive',
    '-p',
    '--patch',
    '--template=/tmp/t',
    '--pathspec-from-file=/etc/x',
    '-t x',
  ],
  add: ['-p', '--patch', '-i', '--interactive', '-e', '--edit', '--pathspec-from-file=/etc/x'],
  checkout: ['-p', '--patch', '--pathspec-from-file=/etc/x'],
  restore: ['-p', '--patch', '--pathspec-from-file=/etc/x'],
  reset: ['--hard', '-p', '--patch'],
  stash: ['--all', '-a'],
  merge: ['-s ours', '--strategy=ours', '-S', '--gpg-sign', '-e', '--edit'],
  rebase: ['-i', '--interactive', '-x sh', '--exec=sh', '--gpg-sign', '-S', '--root'],
  'cherry-pick': ['-e', '--edit', '-S', '--gpg-sign', '-s ours'],
  revert: ['-e', '--edit', '-S', '--gpg-sign'],
  tag: ['-s', '--sign', '-u key', '--local-user=key', '-e', '--edit', '-F /etc/passwd'],
  branch: ['--edit-description'],
  apply: ['--unsafe-paths', '--directory=/tmp'],
  rm: ['-r', '-f', '--force'],
  push: ['--receive-pack=sh', '--exec=sh', '--signed', '--mirror', '--all', '--prune'],
  fetch: ['--upload-pack=sh', '--recurse-submodules'],
  pull: ['--upload-pack=sh', '-S', '--gpg-sign', '--recurse-submodules', '-e'],
  config: ['--global', '--system', '--file=/tmp/c', '-f /tmp/c', '--edit', '-e', '--add', '--unset', '--replace-all'],
};
const TARGET: Record<string, string> = {
  '': 'log',
  diff: 'HEAD',
  log: 'HEAD',
  show: 'HEAD',
  'diff-tree': 'HEAD',
  grep: 'TODO',
  blame: 'README.md',
  'cat-file': 'HEAD',
  commit: '-m fix',
  checkout: 'main',
  restore: 'a.ts',
  merge: 'feature',
  rebase: 'main',
  'cherry-pick': 'abc123',
  revert: 'abc123',
  tag: 'v1',
  push: 'origin main',
  fetch: 'origin',
  pull: 'origin main',
  config: 'user.name',
};

for (const [sub, options] of Object.entries(UNSAFE)) {
  test(`git ${sub || 'global'} options that run programs, reach outside the workspace, sign, open an editor or destroy work are refused`, () => {
    for (const option of options) {
      const command = sub === '' ? `git ${option} ${TARGET['']}` : `git ${sub} ${option} ${TARGET[sub] ?? ''}`.trim();
      refused(command, 'flag_not_allowed');
    }
  });
}

test('git subcommands that run programs, reach other repositories or destroy work are refused, prototype names too', () => {
  for (const sub of [
    'clean -fdx',
    'clone https://x/y',
    'submodule update',
    'worktree add ../x',
    'difftool',
    'mergetool',
    'archive -o x.tar HEAD',
    'send-email x',
    'credential fill',
    'filter-branch',
    'hook run x',
    'bisect run sh',
    'daemon',
    'help log',
    'gc',
    'am x.patch',
    'instaweb',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
  ])
    refused(`git ${sub}`, 'subcommand_not_allowed');
});

test('git itself: a subcommand is required, --no-pager may precede it, --version stands alone', () => {
  refused('git', 'invalid_arguments', /git needs a subcommand/);
  refused('git --no-pager', 'invalid_arguments');
  accepted('git --version');
  accepted('git --no-pager --version');
  refused('git --version log', 'invalid_arguments', /--version takes nothing else/);
  refused('git --version --no-pager', 'invalid_arguments');
  accepted('git --no-pager log -3');
  accepted('git --no-pager --no-pager status');
  accepted('git version');
  refused('git version --build-options', 'flag_not_allowed');
  refused('git version extra', 'invalid_arguments', /git version takes no operands/);
});

test('git operands are workspace paths: the workspace itself may be read, nothing outside it', () => {
  accepted('git add .');
  accepted('git diff -- .');
  accepted('git log -- .git');
  accepted('git status -- src');
  refused('git diff -- /etc/passwd', 'path_outside_workspace');
  refused('git log -- ../other', 'path_outside_workspace');
  refused('git add ../x', 'path_outside_workspace');
  // mv and rm write the paths they name.
  refused('git mv a.txt .git/hooks/pre-commit', 'path_invalid');
  refused('git rm .', 'path_invalid');
  refused('git mv a.txt /tmp/a.txt', 'path_outside_workspace');
});

test('a refusal tells the agent which git subcommand or option it was', () => {
  refused('git -C .. log', 'flag_not_allowed', /git global option -C is not allowed/);
  refused('git clean -fdx', 'subcommand_not_allowed', /git clean is not allowed/);
  refused('git diff --output=out.txt', 'flag_not_allowed', /git diff --output is not allowed/);
  refused('git stash clear', 'subcommand_not_allowed', /git stash clear/);
  refused('git remote add evil https://x/y', 'subcommand_not_allowed', /git remote add/);
});

test('git stash takes only its listed actions, and their arguments stay in the workspace', () => {
  for (const action of ['list', 'show -p', 'pop', 'apply', 'drop', 'push -m wip', '']) accepted(`git stash ${action}`.trim());
  for (const action of ['clear', 'create', 'store abc', 'branch x', 'save x']) refused(`git stash ${action}`, 'subcommand_not_allowed');
  refused('git stash push -- /etc/passwd', 'path_outside_workspace');
  refused('git stash push -- ../x', 'path_outside_workspace');
});

test('git config reads settings and writes only the author name and email', () => {
  for (const c of ['--list', '-l', '--local --list', 'user.name', '--get user.name', '--get-all remote.origin.url', '--local user.email'])
    accepted(`git config ${c}`);
  accepted('git config user.name alice');
  accepted('git config --local user.email alice@example.com');
  refused('git config --list user.name', 'invalid_arguments', /--list takes no operands/);
  refused('git config -l user.name', 'invalid_arguments');
  const why = /user\.name, user\.email/;
  refused('git config core.pager less', 'subcommand_not_allowed', why);
  refused('git config core.hooksPath ./hooks', 'subcommand_not_allowed', why);
  refused('git config --get user.name alice', 'subcommand_not_allowed', why);
  refused('git config --get-all user.name alice', 'subcommand_not_allowed', why);
  refused('git config user.name alice extra', 'subcommand_not_allowed', why);
  refused('git config', 'subcommand_not_allowed', why);
});

test('git remote only lists remotes', () => {
  accepted('git remote');
  for (const c of ['add evil https://x/y', 'set-url origin https://x/y', 'remove origin', 'rename origin x'])
    refused(`git remote ${c}`, 'subcommand_not_allowed');
});

test('git log and rev-list take a bare count; push, fetch and pull carry their remote in the verdict', () => {
  accepted('git log -5');
  accepted('git show -1 HEAD');
  accepted('git rev-list -3 HEAD');
  refused('git diff -5', 'flag_not_allowed');
  accepted('git push', ['push']);
  accepted('git push --force-with-lease=main:abc origin main', ['push']);
  accepted('git fetch', ['network']);
  accepted('git pull', ['network']);
  accepted('git rm --cached old.txt', ['delete']);
});
