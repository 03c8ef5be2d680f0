import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner, ResolvedCommand } from '../../../../customer-plane/guard/types.ts';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';
import { substituteEnv } from '../../../../customer-plane/secrets/substitute.ts';
import { runCommand } from '../../../../customer-plane/tools/commands.ts';
import type { ExecutorContext } from '../../../../customer-plane/tools/types.ts';
import type { Workspace } from '../../../../customer-plane/workspace/workspace.ts';
import { AgentplaneError } from '../../../../shared/errors.ts';

// run_command's env, in the executor: values read at use, handed to the runner as opts.env, never into the argv.
const VALUE = 'npm_0123456789abcdefVALUE';
type Run = { command: ResolvedCommand; opts: Parameters<CommandRunner['run']>[1] };

function context(runs: Run[], resolve: (n: string) => Promise<string>, stdout = ''): ExecutorContext {
  const masker = createMasker();
  masker.add('NPM_TOKEN', VALUE);
  return {
    workspace: { root: '/tmp/ws' } as Workspace,
    runner: {
      sandbox: 'bwrap',
      async run(command, opts) {
        runs.push({ command, opts });
        return { exitCode: 0, signal: null, stdout, stderr: '', truncated: false, timedOut: false };
      },
    },
    signal: new AbortController().signal,
    secrets: { resolve, masker },
  };
}
const cmd = (argv: string[]): ResolvedCommand => ({ pipeline: [argv], redirects: [], consequences: [], runsRepositoryCode: false });

test('env values are read when the command starts and reach the runner as its environment, not its argv; what it prints is masked', async () => {
  const runs: Run[] = [];
  const reads: string[] = [];
  const input = { command: 'npm whoami', env: { NPM_TOKEN: '{{secret:NPM_TOKEN}}', SAME: '{{secret:NPM_TOKEN}}' } };
  const r = await runCommand(
    input,
    cmd(['npm', 'whoami']),
    context(runs, async (n) => (reads.push(n), VALUE), `token ${VALUE}\n`),
  );
  assert.ok(r.ok);
  assert.equal(r.output, 'token [masked:NPM_TOKEN]\n[exit 0]');
  assert.deepEqual(runs[0]!.opts.env, { NPM_TOKEN: VALUE, SAME: VALUE });
  assert.deepEqual(runs[0]!.command.pipeline, [['npm', 'whoami']]);
  assert.ok(!JSON.stringify(runs[0]!.command).includes(VALUE), 'the value is in no argument');
  assert.deepEqual(
    input.env,
    { NPM_TOKEN: '{{secret:NPM_TOKEN}}', SAME: '{{secret:NPM_TOKEN}}' },
    'the checked input keeps the references',
  );
  assert.deepEqual(reads, ['NPM_TOKEN', 'NPM_TOKEN'], 'read at use, for each variable');

  const plain: Run[] = [];
  await runCommand(
    { command: 'ls' },
    cmd(['ls']),
    context(plain, async () => assert.fail('nothing to read')),
  );
  await runCommand(
    { command: 'ls', env: {} },
    cmd(['ls']),
    context(plain, async () => assert.fail('nothing to read')),
  );
  assert.deepEqual(
    plain.map((p) => 'env' in p.opts),
    [false, false],
    'no env, no extra variables',
  );
  // git's input has no env; a stray field on it is not read.
  const git: Run[] = [];
  await runCommand(
    { args: ['status'], env: { X: '{{secret:NPM_TOKEN}}' } } as never,
    cmd(['git', 'status']),
    context(git, async () => VALUE),
  );
  assert.equal(git[0]!.opts.env, undefined);
});

test('an env value that cannot be read, or a run without secrets, stops the command before it starts', async () => {
  const runs: Run[] = [];
  const gone = await runCommand(
    { command: 'ls', env: { T: '{{secret:GONE}}' } },
    cmd(['ls']),
    context(runs, async () => {
      throw new AgentplaneError('secret_unknown', 'the secret GONE does not exist');
    }),
  );
  assert.deepEqual(gone, {
    ok: false,
    decision: 'error',
    reason: 'failed',
    message: 'the command was not run: the secret GONE does not exist',
  });
  const none = context(runs, async () => VALUE);
  delete none.secrets;
  const r = await runCommand({ command: 'ls', env: { T: '{{secret:NPM_TOKEN}}' } }, cmd(['ls']), none);
  assert.deepEqual(!r.ok && [r.reason, r.message], ['failed', 'the command was not run: this run has no secrets to substitute']);
  assert.equal(runs.length, 0);
});

test('substituteEnv refuses a value that is not exactly one reference, and a value with a NUL, naming the variable or secret only', async () => {
  await assert.rejects(
    substituteEnv({ NODE_X: '--require=/tmp/x.js' }, async () => assert.fail('no read')),
    (e: unknown) => e instanceof AgentplaneError && e.code === 'secret_unknown' && /NODE_X/.test(e.message),
  );
  await assert.rejects(
    substituteEnv({ T: '{{secret:NUL}}' }, async () => 'abc\0defghijk'),
    (e: unknown) =>
      e instanceof AgentplaneError && e.code === 'secret_value_unsafe' && /NUL/.test(e.message) && !e.message.includes('defghijk'),
  );
  assert.deepEqual(await substituteEnv({ A: '{{secret:X}}' }, async (n) => `v-${n}`), { A: 'v-X' });
});
