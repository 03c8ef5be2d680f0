/**
 * A runner process for the crash tests: the real runner (work queue consumer, ledger, gate, tools)
 * with test-local agents, the TEST-ONLY guard and runner (which log every command they execute to
 * EXEC_LOG, one line per execution), and events written to EVENTS_FILE after the boundary check.
 * Exits when its parent goes away (stdin closes), so a crashed test leaves no runner behind.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../shared/log.ts';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import { createRejectingBroker } from '../../../customer-plane/gate/approval-broker.ts';
import { loadEnvironments } from '../../../customer-plane/environments/environments.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';
import { childEnv, runChildMain, startChildRunner } from './child-runner.ts';

const env = childEnv;
const name = env.RUNNER_NAME;
const STEP_SLEEP_MS = Number(env.STEP_SLEEP_MS ?? '800');

const must = (r: ToolResult) => {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
};

/** Writes `count` files, each followed by an `ls` of it (one counted execution per effect pair) and a pause. */
function writer(agent: 'patch-applier' | 'fixer' | 'refactorer', prefix: string, count: number): DeterministicAgent {
  return {
    name: agent,
    kind: 'deterministic',
    tier: null,
    purpose: 'crash-test writer',
    tools: ['write_file', 'run_command', 'read_file'],
    programs: ['ls'],
    budget: { maxSteps: 100, maxTokens: 0 },
    output: agentOutputSchema,
    async run(ctx) {
      for (let i = 1; i <= count; i++) {
        must(await ctx.tools.call('write_file', { path: `${prefix}${i}.txt`, content: `${prefix}${i}\n` }));
        must(await ctx.tools.call('run_command', { command: `ls ${prefix}${i}.txt` }));
        await sleep(STEP_SLEEP_MS);
      }
      return { summary: `${prefix} done`, findings: [], patches: [] };
    },
  };
}

const argvs = ['a', 'b', 'c'].flatMap((p) => [1, 2, 3, 4].map((i) => ({ argv: ['ls', `${p}${i}.txt`] })));

async function main() {
  await startChildRunner({
    name,
    log: createLogger({ service: `runner-${name}`, level: 'warn' }),
    onEvent: (kind, event) => appendFileSync(env.EVENTS_FILE, `${JSON.stringify({ kind, event })}\n`),
    parts: async () => ({
      catalog: {
        'patch-applier': writer('patch-applier', 'a', Number(env.A_EFFECTS ?? '1')),
        fixer: writer('fixer', 'b', Number(env.B_EFFECTS ?? '4')),
        refactorer: writer('refactorer', 'c', Number(env.C_EFFECTS ?? '2')),
      },
      templates: {
        refactor: {
          name: 'refactor',
          description: 'three writers in a row',
          steps: [
            { id: 'first', agent: 'patch-applier', needs: [] },
            { id: 'second', agent: 'fixer', needs: ['first'] },
            { id: 'third', agent: 'refactorer', needs: ['second'] },
          ],
        },
      },
      guard: createTestOnlyGuard(argvs),
      runner: createTestOnlyRunner({ onRun: (argv) => appendFileSync(env.EXEC_LOG, `${name} ${argv.join(' ')}\n`) }),
      broker: createRejectingBroker(),
      environments: await loadEnvironments(),
      maxParallelSteps: 2,
      maxDeliver: Number(env.MAX_DELIVER ?? '3'),
    }),
  });
}

runChildMain(main);
