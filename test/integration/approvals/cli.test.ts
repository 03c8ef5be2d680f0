import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { newUlid } from '../../../shared/ids.ts';
import { createApprovalStore } from '../../../customer-plane/approvals/store.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';
import { approvalsDatabase, pushAsk } from '../../support/approvals.ts';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/cli/approvals.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('npm run approvals: list and show what a person is asked (argv, secrets by name, paths, diff) with repository text unable to drive the terminal; approve and reject decide once', async (t) => {
  const { url, db } = await approvalsDatabase(t);
  const env = { DATABASE_URL: url };
  const store = createApprovalStore(db);
  assert.match((await cli(['list'], env)).stdout, /^no approvals\n$/);

  const now = Date.now();
  const timing = { now, warnAt: now + 3_000_000, deadlineAt: now + 3_600_000 };
  const write = pushAsk({ runId: newUlid(), stepId: newUlid() });
  write.tool = 'write_file';
  write.reason = 'environment_policy';
  write.consequences = [];
  write.policy = { environment: 'production', writes: 'ask', actAloneFrom: 'assisted', autonomy: 'assisted' };
  write.preview = {
    tool: 'write_file',
    paths: ['src/\u001b[2Jevil.ts'],
    diff: '--- a/src/x\n+++ b/src/x\n@@ -1 +1 @@\n-a\n+\u001b]0;pwned\u0007b\n',
  };
  const a = (await store.open(write, timing)).approval;
  const push = pushAsk({ runId: newUlid(), stepId: newUlid() });
  push.preview = { ...push.preview, argv: [['git', 'push', '{{secret:DEPLOY_URL}}', 'main branch']], secrets: ['DEPLOY_URL'] };
  const b = (await store.open(push, timing)).approval;

  const list = await cli(['list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stdout,
    new RegExp(`${b.id} +pending, 60 min left +sandbox +fixer +consequential_action +git push \\{\\{secret:DEPLOY_URL\\}\\} "main branch"`),
  );
  assert.match(list.stdout, new RegExp(`${a.id} +pending, 60 min left +production`));
  assert.ok(!list.stdout.includes('\u001b'), 'no escape character reaches the terminal');
  assert.match(list.stdout, /src\/\\x1b\[2Jevil\.ts/);

  const show = await cli(['show', a.id], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /asked because: environment_policy/);
  assert.match(show.stdout, /touches: src\/\\x1b\[2Jevil\.ts/);
  assert.match(show.stdout, /diff:\n--- a\/src\/x\n\+\+\+ b\/src\/x\n@@ -1 \+1 @@\n-a\n\+\\x1b\]0;pwned\\x07b/);
  assert.ok(!show.stdout.includes('\u001b') && !show.stdout.includes('\u0007'));
  const showPush = await cli(['show', b.id], env);
  assert.match(
    showPush.stdout,
    /run: git push \{\{secret:DEPLOY_URL\}\} "main branch"\n {2}in: \/ws\/one\n {2}secrets it uses \(names only\): DEPLOY_URL/,
  );
  assert.deepEqual(JSON.parse((await cli(['show', b.id, '--json'], env)).stdout).preview.secrets, ['DEPLOY_URL']);

  const approved = await cli(['approve', a.id, '--note', 'reviewed the diff'], env);
  assert.deepEqual([approved.code, approved.stdout], [0, `approval ${a.id} approved; the waiting run continues\n`]);
  const decided = (await store.get(a.id))!;
  assert.equal(decided.status, 'approved');
  assert.match(decided.decidedBy!, /^cli(:.+)?$/);
  assert.equal(decided.note, 'reviewed the diff');
  const twice = await cli(['reject', a.id], env);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /approval_already_decided: the approval was already approved/);
  assert.equal((await store.get(a.id))!.status, 'approved', 'unchanged');
  assert.equal((await cli(['reject', b.id], env)).code, 0);
  assert.deepEqual(
    JSON.parse((await cli(['list', '--all', '--json'], env)).stdout)
      .map((x: { status: string }) => x.status)
      .sort(),
    ['approved', 'rejected'],
  );
  assert.match((await cli(['list', '--status', 'rejected'], env)).stdout, new RegExp(b.id));
});

test('npm run approvals refuses with a code and changes nothing: an unknown or expired approval, a malformed id, bad arguments, no database', async (t) => {
  const { url, db } = await approvalsDatabase(t);
  const env = { DATABASE_URL: url };
  const store = createApprovalStore(db);
  const past = Date.now() - 10_000;
  const old = (
    await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), { now: past - 60_000, warnAt: past - 1, deadlineAt: past })
  ).approval;
  const unknown = await cli(['approve', newUlid()], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /approval_not_found/);
  const expired = await cli(['approve', old.id], env);
  assert.equal(expired.code, 1);
  assert.match(expired.stderr, /approval_expired: the approval expired at/);
  assert.equal((await store.get(old.id))!.status, 'expired');
  for (const args of [
    [],
    ['approve'],
    ['approve', '../../etc'],
    ['approve', old.id, '--force'],
    ['list', '--status', 'maybe'],
    ['remove', old.id],
    ['approve', old.id, '--note', 'x'.repeat(501)],
  ]) {
    const r = await cli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage: npm run approvals/);
  }
  const noDb = await cli(['list'], {});
  assert.equal(noDb.code, 78);
  assert.match(noDb.stderr, /DATABASE_URL/);
});
