/**
 * A customer-plane runner process for the approval crash tests: the real runner (work queue, ledger,
 * gate, toolbox) with the real stored approval broker and environments, one test agent that pushes
 * (a command the TEST-ONLY guard marks with the `push` consequence, so the gate asks), and the
 * TEST-ONLY command runner, which appends every execution to EXEC_LOG before it starts it.
 *
 * CRASH_AT makes the process kill itself with SIGKILL at one point of the approval cycle:
 *   asked     — right after the pending approval is stored (its log line)
 *   decided   — right after the waiting step hears the decision (its log line)
 *   running   — while the approved push runs: after it is logged as started, before it returns
 *   committed — right after the push's effect is committed, before the step finishes
 * (`pending` is a kill from outside, by the test.) Exits when its parent goes away (stdin closes).
 */
import { appendFileSync, writeSync } from 'node:fs';
import { createLogger } from '../../../shared/log.ts';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import { createStoredBroker } from '../../../customer-plane/approvals/broker.ts';
import { loadEnvironments } from '../../../customer-plane/environments/environments.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';
import { childEnv, runChildMain, startChildRunner } from './child-runner.ts';

const env = childEnv;
const name = env.RUNNER_NAME;
const crashAt = env.CRASH_AT ?? '';
const die = () => process.kill(process.pid, 'SIGKILL');

const pusher: DeterministicAgent = {
  name: 'fixer',
  kind: 'deterministic',
  tier: null,
  purpose: 'crash test: writes a file, then pushes (asked)',
  tools: ['write_file', 'run_command'],
  programs: ['git'],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const wrote = await ctx.tools.call('write_file', { path: 'release.txt', content: 'v2\n' });
    if (!wrote.ok) throw new Error(`write refused: ${wrote.reason}`);
    const pushed = await ctx.tools.call('run_command', { command: 'git push origin main' });
    if (crashAt === 'committed') die();
    return { summary: pushed.ok ? 'pushed' : `push ${pushed.reason}`, findings: [], patches: [] };
  },
};

async function main() {
  // Every line goes to stdout as well (the test reads them); the crash points are found by message.
  const log = createLogger({
    service: `runner-${name}`,
    level: 'info',
    destination: {
      write(line: string) {
        writeSync(1, line);
        if (crashAt === 'asked' && line.includes('"msg":"approval requested:')) die();
        if (crashAt === 'decided' && line.includes('"msg":"approval decided"')) die();
      },
    },
  });
  let broker: ReturnType<typeof createStoredBroker> | undefined;
  await startChildRunner({
    name,
    log,
    parts: async (db) => {
      const environments = await loadEnvironments();
      broker = createStoredBroker({ db, environments, log });
      return {
        catalog: { fixer: pusher },
        templates: { refactor: { name: 'refactor', description: 'push once', steps: [{ id: 'push', agent: 'fixer', needs: [] }] } },
        environments,
        guard: createTestOnlyGuard([{ argv: ['git', 'push', 'origin', 'main'], consequences: ['push'] }]),
        runner: createTestOnlyRunner({
          onRun: (argv) => {
            appendFileSync(env.EXEC_LOG, `${name} ${Date.now()} ${argv.join(' ')}\n`);
            if (crashAt === 'running') die();
          },
        }),
        broker,
        maxParallelSteps: 1,
        maxDeliver: 5,
      };
    },
    beforeStop: async () => broker?.close(),
  });
}

runChildMain(main);
