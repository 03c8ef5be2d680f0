import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRejectingBroker } from '../../../../customer-plane/gate/approval-broker.ts';
import { createGate } from '../../../../customer-plane/gate/gate.ts';
import { DEFAULT_POLICY } from '../../../../customer-plane/gate/policy.ts';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { CommandRunner } from '../../../../customer-plane/guard/types.ts';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';
import { runCommand } from '../../../../customer-plane/tools/commands.ts';
import { executeTool } from '../../../../customer-plane/tools/execute.ts';
import { createCommandRunner } from '../../../../customer-plane/tools/exec/runner.ts';
import type { ExecutorContext } from '../../../../customer-plane/tools/types.ts';
import type { Workspace } from '../../../../customer-plane/workspace/workspace.ts';
import { silentLogger } from '../../../../shared/log.ts';

// A secret passed through run_command's env reaches the command's environment — not any process's
// command line — with the real command runner, in bubblewrap where it can start (as in production).
const probe = await createCommandRunner({ log: silentLogger() });
const modes = probe.sandbox === 'bwrap' ? (['none', 'bwrap'] as const) : (['none'] as const);
probe.dispose();
const guard = await createCommandGuard();

function setup(t: { after(fn: () => void): void }, runner: CommandRunner) {
  const value = `envsecret-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const root = mkdtempSync(join(tmpdir(), 'env-secret-ws-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const masker = createMasker();
  masker.add('TOKEN', value);
  const reads: string[] = [];
  const ctx: ExecutorContext = {
    workspace: { root } as Workspace,
    runner,
    signal: new AbortController().signal,
    secrets: { resolve: async (name) => (reads.push(name), name === 'TOKEN' ? value : Promise.reject(new Error('unknown'))), masker },
  };
  return { value, root, ctx, reads };
}

/** Every process on the machine whose /proc file `file` (cmdline or environ) holds `text`; unreadable ones are skipped. */
function processesWith(file: 'cmdline' | 'environ', text: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/${file}`, 'latin1').includes(text)) pids.push(Number(pid));
    } catch {
      // exited meanwhile, or another user's environ (0400)
    }
  }
  return pids;
}
/** The command itself (node running wait.js), not bubblewrap, whose own command line and environment carry the command's. */
const isCommand = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('wait.js') && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'bwrap';
  } catch {
    return false;
  }
};

for (const sandbox of modes) {
  test(`[${sandbox}] printenv gets the value from env; what it prints is masked`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox });
    t.after(() => runner.dispose());
    const { ctx, reads } = setup(t, runner);
    const cmd = (argv: string[]) => ({ pipeline: [argv], redirects: [], consequences: [], runsRepositoryCode: false });
    const r = await runCommand({ command: 'printenv AP_TOKEN', env: { AP_TOKEN: '{{secret:TOKEN}}' } }, cmd(['printenv', 'AP_TOKEN']), ctx);
    assert.ok(r.ok);
    // Masking replaces only the exact value: [masked:TOKEN] proves the command received it.
    assert.equal(r.output, '[masked:TOKEN]\n[exit 0]');
    assert.deepEqual(reads, ['TOKEN']);
    const without = await runCommand({ command: 'printenv AP_TOKEN' }, cmd(['printenv', 'AP_TOKEN']), ctx);
    assert.ok(without.ok);
    assert.equal(without.output, '[exit 1]', 'set for that command only');
    const path = await runCommand({ command: 'printenv PATH', env: { P: '{{secret:TOKEN}}' } }, cmd(['printenv', 'PATH']), ctx);
    assert.ok(path.ok && !path.output.includes('masked'), 'the runner’s own variables stay as they were');
  });

  test(`[${sandbox}] through the gate: while the command runs, no process's command line holds the value and the command's environment does; in argv it would be`, async (t) => {
    const runner = await createCommandRunner({ log: silentLogger(), sandbox });
    t.after(() => runner.dispose());
    const { value, root, ctx } = setup(t, runner);
    // An allowed program that waits: node running a workspace file (repository code, as `npm test` is).
    writeFileSync(join(root, 'wait.js'), "console.log(process.env.AP_TOKEN ?? 'unset'); setTimeout(() => {}, 2500);\n");
    const gate = createGate({
      guard,
      sandbox: runner.sandbox,
      // Without a sandbox repository code is asked about; a person approves it here.
      broker: sandbox === 'bwrap' ? createRejectingBroker() : { request: async () => ({ outcome: 'approved', note: 'test' }) },
      secrets: { has: (name) => name === 'TOKEN' },
      record: () => {},
    });
    let seq = 0;
    const authorize = (input: unknown) =>
      gate.authorize({
        runId: '01JENVSECRET00000000000001',
        stepId: '01JENVSECRETSTEP0000000001',
        seq: ++seq,
        agent: { name: 'fixer', tools: ['run_command'], programs: ['node'] },
        call: { tool: 'run_command', input },
        workspace: { root, check: async () => assert.fail('no paths') },
        policy: DEFAULT_POLICY,
        budget: { used: 0, max: 10 },
        signal: new AbortController().signal,
      });

    const allowed = await authorize({ command: 'node wait.js', env: { AP_TOKEN: '{{secret:TOKEN}}' } });
    assert.ok(allowed.ok, JSON.stringify(allowed));
    let done = false;
    const running = executeTool(allowed.call, ctx).finally(() => (done = true));
    // Scanned over and over for as long as the command runs: the command's own processes (not bubblewrap)
    // whose environment holds the value, and every command line on the machine that does.
    const holders = new Set<number>();
    const inCmdline = new Set<number>();
    while (!done) {
      for (const p of processesWith('environ', value)) if (isCommand(p)) holders.add(p);
      for (const p of processesWith('cmdline', value)) inCmdline.add(p);
      await sleep(25);
    }
    const result = await running;
    assert.ok(result.ok);
    assert.match(result.output, /^\[masked:TOKEN\]\n/, 'the command read the value from its environment');
    assert.ok(holders.size > 0, 'the command’s own environment holds the value');
    assert.deepEqual([...inCmdline], [], 'no command line on the machine holds it');

    // The control: the same value as an argument is in the process list while the command runs.
    const inArgv = await authorize({ command: 'node wait.js {{secret:TOKEN}}' });
    assert.ok(inArgv.ok);
    const running2 = executeTool(inArgv.call, ctx);
    let seen: number[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      await sleep(50);
      seen = processesWith('cmdline', value);
    }
    await running2;
    assert.ok(seen.length > 0, 'the scan does find a value in argv');
  });
}
