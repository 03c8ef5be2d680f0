import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandOutcome, CommandRunner, ResolvedCommand } from '../../../../customer-plane/guard/types.ts';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';
import { secretReferences, substituteSecrets } from '../../../../customer-plane/secrets/substitute.ts';
import { runCommand } from '../../../../customer-plane/tools/commands.ts';
import type { ExecutorContext } from '../../../../customer-plane/tools/types.ts';
import type { Workspace } from '../../../../customer-plane/workspace/workspace.ts';
import { AgentplaneError } from '../../../../shared/errors.ts';

const VALUE = 'tok-0123456789abcdef$1&x';

function context(outcome: Partial<CommandOutcome>, ran: ResolvedCommand[], resolve = async (n: string) => (n === 'TOKEN' ? VALUE : '')) {
  const runner: CommandRunner = {
    sandbox: 'bwrap',
    async run(command) {
      ran.push(command);
      return { exitCode: 0, signal: null, stdout: '', stderr: '', truncated: false, timedOut: false, ...outcome };
    },
  };
  const masker = createMasker();
  masker.add('TOKEN', VALUE);
  const ctx: ExecutorContext = {
    workspace: { root: '/tmp/ws' } as Workspace,
    runner,
    signal: new AbortController().signal,
    secrets: { resolve, masker },
  };
  return ctx;
}

const cmd = (pipeline: string[][], redirects: ResolvedCommand['redirects'] = []): ResolvedCommand => ({
  pipeline,
  redirects,
  consequences: [],
  runsRepositoryCode: false,
});

test('references are found once each, in order, only in the {{secret:NAME}} syntax', () => {
  assert.deepEqual(secretReferences('a {{secret:A}} b {{secret:B_2}} {{secret:A}} {{secret:no-dash}} {secret:C}'), ['A', 'B_2']);
});

test('the executor puts the value only into the arguments it hands the runner — not the program, not a redirect — and reads it at that moment', async () => {
  const ran: ResolvedCommand[] = [];
  const reads: string[] = [];
  const original = cmd(
    [['{{secret:TOKEN}}', '--token={{secret:TOKEN}}', 'x{{secret:TOKEN}}y'], ['sort']],
    [{ fd: 1, path: '{{secret:TOKEN}}.txt', append: false }],
  );
  const result = await runCommand(
    { command: 'x' },
    original,
    context({ stdout: 'ok\n' }, ran, async (n) => (reads.push(n), VALUE)),
  );
  assert.ok(result.ok);
  assert.deepEqual(
    ran[0]!.pipeline,
    [['{{secret:TOKEN}}', `--token=${VALUE}`, `x${VALUE}y`], ['sort']],
    '$ and & in the value are taken literally',
  );
  assert.deepEqual(ran[0]!.redirects, original.redirects);
  assert.deepEqual(
    original.pipeline[0],
    ['{{secret:TOKEN}}', '--token={{secret:TOKEN}}', 'x{{secret:TOKEN}}y'],
    'the checked command is not changed',
  );
  assert.deepEqual(reads, ['TOKEN'], 'one read per reference at the moment of use');
  const byRef = await substituteSecrets(cmd([['echo', 'plain']]), async () => assert.fail('no reference, no read'));
  assert.deepEqual(byRef.pipeline, [['echo', 'plain']]);
});

test('what a command prints is masked, stream by stream, also where the output cap cut the secret in half', async () => {
  const ran: ResolvedCommand[] = [];
  const cut = await runCommand(
    { command: 'x' },
    cmd([['echo', '{{secret:TOKEN}}']]),
    context({ stdout: `line ${VALUE}\nend tok-01234`, stderr: `warn ${Buffer.from(VALUE).toString('base64')}`, truncated: true }, ran),
  );
  assert.ok(cut.ok);
  assert.equal(cut.output, 'line [masked:TOKEN]\nend [masked:TOKEN]\n[stderr]\nwarn [masked:TOKEN]\n[exit 0]');
  assert.equal((cut.data as { stdoutChars: number }).stdoutChars, 'line [masked:TOKEN]\nend [masked:TOKEN]'.length);
});

test('a reference that cannot be resolved stops the command before it starts, with the name and never a value', async () => {
  const ran: ResolvedCommand[] = [];
  const r = await runCommand(
    { command: 'x' },
    cmd([['echo', '{{secret:GONE}}']]),
    context({}, ran, async () => {
      throw new AgentplaneError('secret_unknown', 'the secret GONE does not exist');
    }),
  );
  assert.deepEqual(r, {
    ok: false,
    decision: 'error',
    reason: 'failed',
    message: 'the command was not run: the secret GONE does not exist',
  });
  assert.equal(ran.length, 0);
  const noSecrets = context({}, ran);
  delete noSecrets.secrets;
  const r2 = await runCommand({ command: 'x' }, cmd([['echo', '{{secret:TOKEN}}']]), noSecrets);
  assert.equal(!r2.ok && r2.reason, 'failed');
  assert.equal(ran.length, 0, 'without the run’s secrets a reference is never run as literal text');
});

test('a value that would turn a checked operand into an option is refused; after a fixed prefix it is passed as it is', async () => {
  const dash = async () => '--output=/etc/owned-by-value';
  await assert.rejects(
    substituteSecrets(cmd([['sort', '{{secret:TOKEN}}']]), dash),
    (e: unknown) => e instanceof AgentplaneError && e.code === 'secret_value_unsafe' && !e.message.includes('/etc/owned'),
  );
  const prefixed = await substituteSecrets(cmd([['tool', '--token={{secret:TOKEN}}']]), dash);
  assert.deepEqual(prefixed.pipeline, [['tool', '--token=--output=/etc/owned-by-value']]);
});

test('every reference in an argument is replaced; one in a program name is neither read nor replaced, nor is text that only reads as one across two arguments', async () => {
  const reads: string[] = [];
  const resolve = async (n: string) => (reads.push(n), n === 'TOKEN' ? VALUE : assert.fail(`${n} is no reference`));
  const both = await substituteSecrets(cmd([['curl', '-u', '{{secret:TOKEN}}:{{secret:TOKEN}}']]), resolve);
  assert.deepEqual(both.pipeline, [['curl', '-u', `${VALUE}:${VALUE}`]]);
  const program = await substituteSecrets(
    cmd([
      ['{{secret:OTHER}}', 'x'],
      ['sort', '{{secret:', 'OTHER}}'],
    ]),
    resolve,
  );
  assert.deepEqual(program.pipeline, [
    ['{{secret:OTHER}}', 'x'],
    ['sort', '{{secret:', 'OTHER}}'],
  ]);
  assert.deepEqual(reads, ['TOKEN'], 'OTHER was never read');
});

test('the refusal of a value that starts with "-" names the secret and how to pass it, never the value', async () => {
  await assert.rejects(
    substituteSecrets(cmd([['sort', '{{secret:TOKEN}}']]), async () => '-rf'),
    (e: unknown) => e instanceof AgentplaneError && /TOKEN/.test(e.message) && /--token=/.test(e.message) && !e.message.includes('-rf'),
  );
});
