import { type MutationModule, tests, testsInOneProcess } from '../commands.ts';

/** The agent runtime: untrusted content, bad input, durable runs, memory and the CLIs. */
export const RUNTIME_MODULES: MutationModule[] = [
  {
    // The envelope and the masked client are small and have unit tests of their own; the hijacked-model
    // run (a real ledger, a scripted model obeying every planted instruction) only pays for what they miss.
    name: 'untrusted-content',
    claim: 'Untrusted content, and a model that is already hijacked: repository content is data, secrets never reach a prompt',
    mutate: ['customer-plane/runner/untrusted.ts', 'customer-plane/llm/masked-llm.ts'],
    command: tests(
      'test/unit/customer-plane/runner/untrusted.test.ts',
      'test/unit/customer-plane/llm/masked-llm.test.ts',
      'test/integration/runtime/hijacked-model.test.ts',
    ),
  },
  {
    // The agent loop's tests need only a scripted model (one process, about a second). runStep's and
    // runWorkflow's run the real ledger on a scratch database and real workspaces with scripted agents (a few
    // seconds a file): each refusal's code, the repair turn, the budgets at their edges, the workspace destroyed.
    // The integration tests through the fake OpenAI and the command guard are not needed for these files.
    name: 'runtime-refusals',
    claim: 'Bad input to the runtime: a clear code on the run, step or call, never a crash of the runner',
    mutate: ['customer-plane/runner/agent-loop.ts', 'customer-plane/runner/run-step.ts', 'customer-plane/runner/run-workflow.ts'],
    command: `${testsInOneProcess(
      'test/unit/customer-plane/runner/agent-loop.test.ts',
      'test/unit/customer-plane/runner/agent-loop-calls.test.ts',
      'test/unit/customer-plane/runner/run-step-codes.test.ts',
    )} && ${tests(
      'test/unit/customer-plane/runner/run-step.test.ts',
      'test/unit/customer-plane/runner/run-step-memory.test.ts',
      'test/unit/customer-plane/runner/run-workflow-refusals.test.ts',
      'test/unit/customer-plane/runner/run-workflow-steps.test.ts',
      'test/unit/customer-plane/runner/run-workflow-memory.test.ts',
      'test/unit/customer-plane/runner/run-workflow-resume.test.ts',
      'test/unit/customer-plane/runner/run-workflow-parallel.test.ts',
    )}`,
  },
  {
    // The ledger's own tests write and read its tables directly (a scratch Postgres database per test, a few
    // seconds a file): what a resumed run reads back, the lock, exhausted marking (a private nats-server).
    // The resume test and the runner fault tests (real processes killed, NATS redelivery) stay the section's
    // end-to-end proofs but are not in the command: with them a full run took about 2.5 hours here, and a
    // mutant only they would catch is a gap in the direct tests, which is what this run is meant to show.
    name: 'run-ledger',
    claim: 'Durable runs: the journal, the run lock and exhausted deliveries',
    mutate: [
      'customer-plane/runner/ledger/journal.ts',
      'customer-plane/runner/ledger/lock.ts',
      'customer-plane/runner/ledger/records.ts',
      'customer-plane/runner/ledger/runs.ts',
      'customer-plane/runner/ledger/inputs.ts',
      'customer-plane/runner/exhausted.ts',
    ],
    command: tests(
      'test/integration/runner/exhausted.test.ts',
      'test/integration/runner/ledger-lock.test.ts',
      'test/integration/runner/ledger-journal.test.ts',
      'test/integration/runner/ledger-runs.test.ts',
      'test/integration/runner/ledger-records.test.ts',
      'test/integration/runner/ledger-inputs.test.ts',
    ),
  },
  {
    // The step toolbox's effects and replay and the scheduler's DAG against fakes (one process, about a second);
    // the workspace rebuilt from real git diffs; the worker's lock, heartbeats (a mock clock) and leftover
    // cleanup on a scratch ledger database; the intake and the runner's start on a private nats-server.
    // The fault tests (real runners killed) only name the same claims end to end; they are not needed here.
    name: 'durable-runs',
    claim: 'Durable runs: effects replayed, never run twice; workspaces rebuilt; heartbeats, reports and skips',
    mutate: [
      'customer-plane/tools/toolbox.ts',
      'customer-plane/runner/prepare-workspace.ts',
      'customer-plane/runner/worker.ts',
      'customer-plane/runner/scheduler.ts',
      'customer-plane/runner/intake.ts',
    ],
    command: `${testsInOneProcess(
      'test/unit/customer-plane/runner/scheduler.test.ts',
      'test/unit/customer-plane/tools/toolbox-effects.test.ts',
      'test/unit/customer-plane/tools/toolbox-replay.test.ts',
    )} && ${tests(
      'test/unit/customer-plane/runner/prepare-workspace.test.ts',
      'test/integration/runner/worker.test.ts',
      'test/integration/runner/intake.test.ts',
      'test/integration/runner/start-runner.test.ts',
      // The worker hands its lock's lost signal to the run: only a whole run shows it reaching the steps.
      'test/integration/runtime/run-lock-lost.test.ts',
    )}`,
  },
  {
    // forget and the erase called directly on rows written into every table they name (a scratch Postgres
    // database per test, a few seconds): exactly which rows go, which stay, the counts and the refusals.
    // Only a mutant they miss pays for the CLIs end to end on real runs (SECURITY.md's proofs).
    name: 'memory-erase',
    claim: 'Agent memory stays in your account: forgetting and erasing remove what they say',
    mutate: ['customer-plane/memory/forget.ts', 'customer-plane/data/erase.ts'],
    command: tests(
      'test/integration/memory/forget.test.ts',
      'test/integration/data/erase-tenant-data.test.ts',
      'test/integration/runtime/erase-data.test.ts',
      'test/integration/runtime/memory-layers.test.ts',
    ),
  },
  {
    // The rules as pure functions first (one process, about a second): thresholds at their edges, levels one
    // at a time, the production cap. Then the turn cache, the standing store and the memory as the runner
    // uses it, each against one scratch Postgres database per file (a few seconds): keys, alias and
    // environment isolation, failed steps keep nothing, an override drops only that agent's turns there.
    name: 'memory-recall',
    claim:
      'Agent memory stays in your account: a model reply reused only for the same request in the same repository and environment; autonomy earned per agent and environment',
    mutate: [
      'customer-plane/memory/turn-cache.ts',
      'customer-plane/memory/memory.ts',
      'customer-plane/memory/autonomy.ts',
      'customer-plane/memory/standing.ts',
    ],
    command: `${testsInOneProcess(
      'test/unit/customer-plane/memory/autonomy-edges.test.ts',
      'test/unit/customer-plane/memory/autonomy.test.ts',
      'test/unit/customer-plane/memory/turn-key.test.ts',
    )} && ${tests(
      'test/integration/memory/turn-cache.test.ts',
      'test/integration/memory/standing.test.ts',
      'test/integration/memory/memory.test.ts',
    )}`,
  },
  {
    // The formatters are pure: their unit tests (one process, well under a second) print records holding
    // every kind of control character and check every line. Only a mutant they miss pays for the CLIs run
    // against a real ledger and approvals table (Postgres), the tests SECURITY.md named before.
    name: 'terminal-text',
    claim: 'Bad input to the runtime: CLIs print repository text with control characters made visible',
    mutate: ['customer-plane/cli/terminal-text.ts', 'customer-plane/cli/format-runs.ts', 'customer-plane/cli/format-approvals.ts'],
    command: `${testsInOneProcess(
      'test/unit/customer-plane/cli/terminal-text.test.ts',
      'test/unit/customer-plane/cli/format-runs.test.ts',
      'test/unit/customer-plane/cli/format-approvals.test.ts',
      // run_command's env in `approvals show` (and the console) is proved beside the feature's other displays.
      'test/unit/customer-plane/console/approval-env.test.ts',
    )} && ${tests('test/integration/runtime/runs-cli.test.ts', 'test/integration/approvals/cli.test.ts')}`,
  },
];
