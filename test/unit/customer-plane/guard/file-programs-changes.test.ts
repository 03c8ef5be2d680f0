import { test } from 'node:test';
import { accepted, proveOptions, type Rule, refused } from '../../../support/program-spec.ts';

/**
 * The programs that change files (GNU coreutils mkdir, touch, cp, mv, rm, rmdir, chmod, chown, tee),
 * written out by hand from their man pages. What they write stays in the workspace and out of .git;
 * deleting and changing permissions are consequences a person approves; recursive and forced deletes,
 * set-uid, set-gid and sticky bits are refused outright.
 */
const CHANGERS: Record<string, Rule> = {
  mkdir: { at: 'build/out', flags: '-p -v --parents --verbose', values: [['-m', '755']] },
  touch: {
    at: 'notes.txt',
    flags: '-a -c -m --no-create',
    values: [
      ['-d', 'yesterday'],
      ['-t', '202401010000'],
      ['--date', 'yesterday'],
    ],
    reads: ['-r'],
  },
  cp: {
    at: 'a.txt b.txt',
    flags: '-r -R -a -p -v -n -f -u -L -P -T -l --recursive --archive --verbose --no-clobber --force --no-target-directory',
    optional: [
      ['--update', 'older'],
      ['--preserve', 'mode,timestamps'],
    ],
    writes: ['-t', '--target-directory'],
  },
  mv: {
    at: 'a.txt b.txt',
    flags: '-f -n -v -u -T --force --no-clobber --verbose --no-target-directory',
    writes: ['-t', '--target-directory'],
  },
  rm: { at: 'old.txt', flags: '-v -d --verbose --dir', consequences: ['delete'] },
  rmdir: { at: 'empty', flags: '-p -v --parents --verbose --ignore-fail-on-non-empty', consequences: ['delete'] },
  chmod: { at: '644 a.txt', flags: '-R -v -c -f --recursive --verbose --changes', consequences: ['permission_change'] },
  chown: {
    at: 'alice:staff a.txt',
    flags: '-R -v -c -h -f --recursive --verbose --changes --no-dereference',
    consequences: ['permission_change'],
  },
  tee: { at: 'out.txt', flags: '-a -i --append' },
};

for (const [program, rule] of Object.entries(CHANGERS)) {
  test(`${program}: every option an agent relies on is accepted, with the consequences a person approves`, () =>
    proveOptions(program, rule));
}

test('what mkdir, touch and tee write stays in the workspace and out of .git', () => {
  for (const program of ['mkdir', 'mkdir -p', 'touch', 'tee', 'tee -a']) {
    accepted(`${program} src/new.ts`);
    refused(`${program} /tmp/x`, 'path_outside_workspace');
    refused(`${program} ../x`, 'path_outside_workspace');
    refused(`${program} ../workspace-sibling/x`, 'path_outside_workspace');
    refused(`${program} .git/hooks/pre-commit`, 'path_invalid');
    refused(`${program} src/.GIT/config`, 'path_invalid');
    refused(`${program} ok.txt .git/config`, 'path_invalid');
  }
  refused('mkdir .', 'path_invalid');
});

test('cp reads its sources and writes its destination; mv also takes its sources away', () => {
  accepted('cp -r src backup');
  // Reading .git is harmless; only writing into it is refused.
  accepted('cp -r .git backup');
  accepted('cp a.txt b.txt out');
  refused('cp a.txt', 'invalid_arguments', /source and destination/);
  refused('cp', 'invalid_arguments');
  refused('cp /etc/passwd a.txt', 'path_outside_workspace');
  refused('cp ../secrets.env a.txt', 'path_outside_workspace');
  refused('cp a.txt /tmp/a.txt', 'path_outside_workspace');
  refused('cp a.txt ../workspace-sibling/a.txt', 'path_outside_workspace');
  refused('cp hook.sh .git/hooks/pre-commit', 'path_invalid');
  refused('cp -r src .', 'path_invalid');
  // With a target directory every operand is a source: one is enough, and the last is only read.
  for (const t of ['-t out', '--target-directory=out', '--target-directory out']) {
    accepted(`cp ${t} a.txt`);
    accepted(`cp ${t} a.txt .git/config`);
    refused(`cp ${t} /etc/passwd`, 'path_outside_workspace');
    refused(`cp ${t}`, 'invalid_arguments');
  }

  accepted('mv old.ts new.ts');
  refused('mv a.txt', 'invalid_arguments');
  refused('mv .git/config config', 'path_invalid');
  refused('mv .git backup', 'path_invalid');
  refused('mv /etc/passwd a.txt', 'path_outside_workspace');
  refused('mv a.txt ../a.txt', 'path_outside_workspace');
  refused('mv a.txt .git/hooks/pre-commit', 'path_invalid');
  for (const t of ['-t out', '--target-directory=out']) {
    accepted(`mv ${t} a.txt b.txt`);
    refused(`mv ${t} .git/HEAD`, 'path_invalid');
    refused(`mv ${t}`, 'invalid_arguments');
  }
});

test('cp and mv options that make backups, links or follow other files are refused', () => {
  for (const opt of ['-b', '--backup', '-S .orig', "--suffix='/*'", '-s', '--symbolic-link', '--remove-destination', '-x'])
    refused(`cp ${opt} a.txt b.txt`, 'flag_not_allowed');
  for (const opt of ['-b', '--backup', '-S .orig', '--suffix=.orig', '--strip-trailing-slashes'])
    refused(`mv ${opt} a.txt b.txt`, 'flag_not_allowed');
});

test('rm and rmdir delete one named file or folder in the workspace, asked first; recursive and forced deletes are refused', () => {
  for (const program of ['rm', 'rmdir']) {
    accepted(`${program} build/old`, ['delete']);
    refused(program, 'invalid_arguments', /nothing to delete/);
    refused(`${program} .`, 'path_invalid');
    refused(`${program} ./`, 'path_invalid');
    refused(`${program} .git/index`, 'path_invalid');
    refused(`${program} .git`, 'path_invalid');
    refused(`${program} /etc/passwd`, 'path_outside_workspace');
    refused(`${program} ../x`, 'path_outside_workspace');
    refused(`${program} ../workspace-sibling`, 'path_outside_workspace');
    refused(`${program} a.txt /tmp/x`, 'path_outside_workspace');
  }
  for (const opt of ['-r', '-R', '-f', '-rf', '-fr', '-i', '-I', '--recursive', '--force', '--no-preserve-root', '--one-file-system'])
    refused(`rm ${opt} build`, 'flag_not_allowed');
});

test('chmod takes octal and symbolic modes without set-uid, set-gid or sticky bits, on workspace files, asked first', () => {
  const change = ['permission_change'];
  for (const mode of [
    '644',
    '755',
    '600',
    '7',
    '0',
    '0644',
    '0755',
    'u+x',
    '+x',
    'a+r',
    'go-w',
    'a=rwX',
    'u=rwx,go=rx',
    'ug+rw,o=',
    'o-rwx',
  ])
    accepted(`chmod ${mode} scripts/run.sh`, change);
  for (const mode of [
    '4755',
    '2755',
    '1777',
    '6755',
    '04755',
    '02775',
    '01777',
    'u+s',
    'g+s',
    '+t',
    'o+t',
    'u+rws',
    'a+rwxt',
    'u+x,g+s',
    'u=g',
    "''",
  ])
    refused(`chmod ${mode} scripts/run.sh`, 'flag_not_allowed', /set-uid/);
  refused('chmod 755', 'invalid_arguments', /chmod MODE FILE/);
  refused('chmod', 'invalid_arguments');
  refused('chmod 755 /usr/local/bin/x', 'path_outside_workspace');
  refused('chmod 755 ../x', 'path_outside_workspace');
  refused('chmod +x .git/hooks/pre-commit', 'path_invalid');
  refused('chmod -R 777 .', 'path_invalid');
  refused('chmod --reference=/etc/shadow a.txt', 'flag_not_allowed');
});

test('chown takes a plain owner and group, on workspace files, asked first', () => {
  const change = ['permission_change'];
  for (const owner of ['alice', 'alice:staff', ':staff', 'alice:', '1000:1000', 'build-bot.ci', 'svc_user'])
    accepted(`chown ${owner} a.txt`, change);
  for (const owner of ["'alice staff'", "'alice;id'", 'a:b:c', "'al/ice'", "'$(id)'"]) refused(`chown ${owner} a.txt`, 'invalid_arguments');
  refused("chown 'alice;id' a.txt", 'invalid_arguments', /owner alice;id/);
  refused('chown alice', 'invalid_arguments', /chown OWNER FILE/);
  refused('chown', 'invalid_arguments');
  refused('chown alice /etc/passwd', 'path_outside_workspace');
  refused('chown alice .git/config', 'path_invalid');
  refused('chown --reference=/etc/passwd a.txt', 'flag_not_allowed');
});
