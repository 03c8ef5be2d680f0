/**
 * The security-critical modules `npm run mutate` breaks on purpose, each with the narrowest test command
 * that proves its claims. Stryker's command runner has no per-test coverage, so every mutant of a module
 * runs that module's whole command: the command is the scope. Commands chain test files with `&&`
 * (fastest and most direct first), so a mutant is killed by the first file that fails.
 *
 * `mutate` entries are Stryker globs; `file.ts:from-to` limits a file to a line range.
 */
export interface MutationModule {
  /** The name `npm run mutate -- <name>` selects. */
  name: string;
  /** What the module promises, as SECURITY.md states it (the section its score is printed next to). */
  claim: string;
  mutate: string[];
  /** A shell command run from Stryker's sandbox (a copy of the repository); exit 0 means the mutant survived. */
  command: string;
}

/** The Node running `npm run mutate` (the project's Node 24), by absolute path: the sandbox is elsewhere. */
const node = process.execPath;
/**
 * V8 flags for every test process. --liftoff-only: the command guard's tree-sitter-bash wasm has a lexer
 * function so large that V8's optimizing tier-up of it costs about 10 s of CPU and 500 MB, which a short
 * test process pays at exit (V8 waits for the compile job): guard.test.ts took 14 s instead of 3 s. The
 * baseline compiler computes the same results; the flag reaches `node --test`'s child processes.
 */
const v8Flags = '--liftoff-only';
/** One `node --test` per file, chained: a mutant stops at the first file that catches it. */
const tests = (...files: string[]) => files.map((f) => `${node} ${v8Flags} --test --test-reporter=dot ${f}`).join(' && ');
/**
 * All files in one `node --test` process (no isolation): for unit tests that start nothing, Node's start
 * and the TypeScript loading of the shared imports dominate, and paying them once halves a mutant's cost.
 */
const testsInOneProcess = (...files: string[]) => `${node} ${v8Flags} --test --test-isolation=none --test-reporter=dot ${files.join(' ')}`;

export const MODULES: MutationModule[] = [
  {
    name: 'boundary',
    claim: 'What never leaves your account: the boundary schema and egress',
    mutate: ['shared/boundary.ts', 'customer-plane/egress/egress.ts'],
    command: tests(
      'test/unit/shared/boundary-schema.test.ts',
      'test/unit/shared/boundary.test.ts',
      'test/unit/customer-plane/egress/egress.test.ts',
    ),
  },
  {
    name: 'link-config',
    claim: 'The link is outbound only and isolated per tenant: leaf and hub config',
    mutate: ['customer-plane/leaf/config.ts', 'control-plane/hub/config.ts'],
    command: tests('test/unit/customer-plane/leaf/config.test.ts', 'test/unit/control-plane/hub/config.test.ts'),
  },
  {
    name: 'batch-verification',
    claim: 'Every up message is signed: batch verification',
    mutate: ['control-plane/telemetry/verify-batch.ts', 'shared/signing.ts'],
    command: tests('test/unit/shared/signing.test.ts', 'test/unit/control-plane/telemetry/verify-batch.test.ts'),
  },
  {
    // The store's own test needs only Postgres (a scratch database per test) and kills most mutants; a mutant
    // it misses pays for the end-to-end test through the hub and the ingest worker.
    name: 'batch-storage',
    claim: 'Every up message is signed: a seq is stored once, a replay is refused',
    mutate: ['control-plane/telemetry/store-batch.ts'],
    command: tests('test/integration/telemetry/store-batch.test.ts', 'test/integration/boundary/rejected-batches.test.ts'),
  },
  {
    name: 'seq-counter',
    claim: 'seq only ever increases, across restarts and crashes',
    mutate: ['customer-plane/egress/seq-counter.ts'],
    command: tests('test/unit/customer-plane/egress/seq-counter.test.ts'),
  },
  {
    name: 'tokens',
    claim: 'Access to the control plane: tokens',
    mutate: ['shared/tokens.ts'],
    command: tests('test/unit/shared/tokens.test.ts'),
  },
  {
    // The unit test (real tokens, a real fastify app, no Postgres) proves what requireAuth does and kills
    // most mutants in seconds; only a mutant it misses pays for the HTTP API's integration test.
    name: 'require-auth',
    claim: 'Access to the control plane: requireAuth on every route',
    mutate: ['control-plane/http/middleware/require-auth/**/*.ts'],
    command: tests('test/unit/control-plane/http/middleware/require-auth.test.ts', 'test/integration/auth.test.ts'),
  },
  {
    name: 'config',
    claim: 'Secrets: no secret has a default; config is checked whole',
    mutate: ['shared/config.ts', 'control-plane/config.ts', 'customer-plane/config.ts'],
    command: testsInOneProcess(
      'test/unit/shared/config.test.ts',
      'test/unit/shared/config-secrets.test.ts',
      'test/unit/shared/config-readme.test.ts',
      'test/unit/control-plane/config.test.ts',
      'test/unit/customer-plane/config.test.ts',
    ),
  },
  {
    name: 'log',
    claim: 'Secrets: logs redact credentials at any depth',
    mutate: ['shared/log.ts', 'shared/log-redact.ts'],
    command: testsInOneProcess('test/unit/shared/log-redact.test.ts', 'test/unit/shared/log.test.ts'),
  },
  {
    name: 'workspace',
    claim: 'One gate for every effect: paths stay inside the workspace',
    mutate: ['customer-plane/workspace/paths.ts', 'customer-plane/workspace/workspace.ts'],
    command: testsInOneProcess('test/unit/customer-plane/workspace/workspace.test.ts'),
  },
  {
    name: 'terraform-policy',
    claim: 'The stack you deploy: IAM, security groups and encryption',
    mutate: [
      'terraform/src/iam.ts',
      'terraform/src/iam-doc.ts',
      'terraform/src/service-policies.ts',
      'terraform/src/security-groups.ts',
      'terraform/src/keys.ts',
    ],
    // The policy tests read a synthesized stack; the mutated sources synthesize it afresh for each mutant.
    command: `${node} scripts/mutation/terraform-policy-tests.ts`,
  },
  {
    // The in-process tests first (seconds), then keygen's CLI; the sign/verify CLI test spawns a Node per run
    // (a minute or more on a busy machine), so only mutants the others miss, and those in the CLIs, reach it.
    name: 'bundle',
    claim: 'The stack you deploy: the signed bundle',
    mutate: ['terraform/bundle/*.ts'],
    command: tests(
      'test/unit/terraform/bundle/bundle-keys.test.ts',
      'test/unit/terraform/bundle/bundle-verify.test.ts',
      'test/unit/terraform/bundle/bundle-keygen.test.ts',
      'test/unit/terraform/bundle/bundle.test.ts',
    ),
  },
  {
    // 578 mutants (gate.ts 277, diff-paths.ts 161, policy.ts 73, preview.ts 61): the diff and policy tests
    // (2–3 s) catch their own files' mutants before the gate test (12–20 s under load) runs.
    name: 'gate',
    claim: 'One gate for every effect',
    mutate: ['customer-plane/gate/**/*.ts'],
    command: tests(
      'test/unit/customer-plane/gate/diff-paths.test.ts',
      'test/unit/customer-plane/gate/diff-paths-quoting.test.ts',
      'test/unit/customer-plane/gate/preview.test.ts',
      'test/unit/customer-plane/gate/policy.test.ts',
      'test/unit/customer-plane/gate/gate-messages.test.ts',
      'test/unit/customer-plane/gate/gate.test.ts',
    ),
  },
  {
    // The parser, words, paths and redirections: what every command goes through. The program tables are a
    // modules of their own (guard-programs-*) so each part can be measured in one sitting on a 2-core machine.
    // guard.test.ts (about 1 s of tests) catches most mutants before the corpus and the catalog's commands run.
    name: 'guard',
    claim: 'Commands agents run: the command guard',
    mutate: ['customer-plane/guard/*.ts'],
    command: tests(
      'test/unit/customer-plane/guard/guard.test.ts',
      'test/unit/customer-plane/guard/syntax.test.ts',
      'test/unit/customer-plane/guard/words.test.ts',
      'test/unit/customer-plane/guard/redirects.test.ts',
      'test/unit/customer-plane/guard/corpus.test.ts',
      'test/unit/customer-plane/guard/catalog-commands.test.ts',
    ),
  },
  // Each program's rules (options, subcommands, consequences) are most of the guard's mutants (about
  // 2,900): three modules, each measurable in well under an hour of a 2-core machine.
  {
    name: 'guard-programs-git',
    claim: 'Commands agents run: the command guard',
    mutate: ['customer-plane/guard/programs/git.ts', 'customer-plane/guard/programs/git-*.ts'],
    command: tests(
      // The hand-written spec of git's options first: it is fast and catches a changed table entry.
      'test/unit/customer-plane/guard/git-options.test.ts',
      'test/unit/customer-plane/guard/git-refusals.test.ts',
      'test/unit/customer-plane/guard/guard.test.ts',
      'test/unit/customer-plane/guard/corpus.test.ts',
      'test/unit/customer-plane/guard/catalog-commands.test.ts',
    ),
  },
  {
    name: 'guard-programs-files',
    claim: 'Commands agents run: the command guard',
    mutate: [
      'customer-plane/guard/programs/files.ts',
      'customer-plane/guard/programs/find.ts',
      'customer-plane/guard/programs/sed.ts',
      'customer-plane/guard/programs/text.ts',
    ],
    // The hand-written specs of each program's options first, in one process (they share the guard's
    // start-up): they are fast and catch a changed table entry before the whole-command tests run.
    command: `${testsInOneProcess(
      'test/unit/customer-plane/guard/file-programs-options.test.ts',
      'test/unit/customer-plane/guard/file-programs-refusals.test.ts',
      'test/unit/customer-plane/guard/file-programs-changes.test.ts',
      'test/unit/customer-plane/guard/file-programs-find.test.ts',
      'test/unit/customer-plane/guard/file-programs-sed.test.ts',
    )} && ${tests(
      'test/unit/customer-plane/guard/guard.test.ts',
      'test/unit/customer-plane/guard/corpus.test.ts',
      'test/unit/customer-plane/guard/catalog-commands.test.ts',
    )}`,
  },
  {
    // The option reader and registry every program table uses, and the toolchains, interpreters and linters.
    name: 'guard-programs-tools',
    claim: 'Commands agents run: the command guard',
    mutate: [
      'customer-plane/guard/programs/options.ts',
      'customer-plane/guard/programs/registry.ts',
      'customer-plane/guard/programs/interpreters.ts',
      'customer-plane/guard/programs/linters.ts',
      'customer-plane/guard/programs/toolchains.ts',
    ],
    command: tests(
      // The hand-written spec of the tools' options and the registry first: fast, and each names a table entry.
      'test/unit/customer-plane/guard/tool-programs-options.test.ts',
      'test/unit/customer-plane/guard/tool-programs-refusals.test.ts',
      'test/unit/customer-plane/guard/tool-programs-npm.test.ts',
      'test/unit/customer-plane/guard/tool-programs-runners.test.ts',
      'test/unit/customer-plane/guard/tool-programs-registry.test.ts',
      'test/unit/customer-plane/guard/guard.test.ts',
      'test/unit/customer-plane/guard/corpus.test.ts',
      'test/unit/customer-plane/guard/catalog-commands.test.ts',
    ),
  },
  {
    // The decision and deadline rules are proved without a database (deadline.test.ts, first); what the
    // broker and the store do with the table needs Postgres: a mutant that survives the unit test costs
    // one run of the broker's integration test (about 30 s on the shared 2-core machine).
    name: 'approvals',
    claim: 'Approvals of consequential actions: nothing approved by default, a decision taken once',
    mutate: [
      'customer-plane/approvals/deadline.ts',
      'customer-plane/approvals/broker.ts',
      'customer-plane/approvals/store.ts',
      'customer-plane/approvals/errors.ts',
    ],
    command: tests(
      'test/unit/customer-plane/approvals/deadline.test.ts',
      'test/unit/customer-plane/approvals/decision-note.test.ts',
      'test/integration/approvals/store.test.ts',
      'test/integration/approvals/broker.test.ts',
      'test/integration/approvals/broker-wait.test.ts',
    ),
  },
  {
    name: 'secrets-masking',
    claim: 'Secrets the model never sees: every value the run knows is masked, in every form',
    mutate: ['customer-plane/secrets/masker.ts', 'customer-plane/secrets/masking.ts', 'customer-plane/secrets/substitute.ts'],
    command: tests('test/unit/customer-plane/secrets/masker.test.ts', 'test/unit/customer-plane/secrets/substitution.test.ts'),
  },
  {
    name: 'environments',
    claim: 'Named environments: checked at start, a run admitted only where it may run',
    mutate: ['customer-plane/environments/**/*.ts'],
    command: tests('test/unit/customer-plane/environments/environments.test.ts', 'test/unit/customer-plane/gate/policy.test.ts'),
  },
  {
    name: 'audit-log',
    claim: 'You can see exactly what left: the local hash-chained audit log and its check',
    mutate: ['customer-plane/egress/audit-log.ts', 'customer-plane/audit-verify.ts'],
    command: tests('test/unit/customer-plane/egress/audit-log.test.ts', 'test/unit/customer-plane/audit-verify.test.ts'),
  },
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
    // What stands between the network and the approvals: the host check, CSRF, headers, login and its
    // limit, sessions, escaping. The unit tests build the console as app.ts does and drive it through
    // fastify's inject with a fake database (no socket, no Postgres), all in one process (about 1 s);
    // the console over HTTP against a real runtime (Postgres) only pays for what they miss.
    name: 'console',
    claim: 'The local console: private address, one admin secret, sessions, CSRF, escaped pages',
    mutate: [
      'customer-plane/console/protections.ts',
      'customer-plane/console/session-auth.ts',
      'customer-plane/console/sessions.ts',
      'customer-plane/console/cookies.ts',
      'customer-plane/console/forms.ts',
      'customer-plane/console/bind-address.ts',
      'customer-plane/console/html.ts',
      'customer-plane/console/routes/login.ts',
    ],
    command: `${testsInOneProcess(
      'test/unit/customer-plane/console/protections.test.ts',
      'test/unit/customer-plane/console/login.test.ts',
      'test/unit/customer-plane/console/session-auth.test.ts',
      'test/unit/customer-plane/console/sessions.test.ts',
      'test/unit/customer-plane/console/html.test.ts',
      'test/unit/customer-plane/console/config.test.ts',
    )} && ${tests('test/integration/console/pages.test.ts', 'test/integration/console/decisions.test.ts')}`,
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
    // The unit tests (a fake hub, the mock clock) first; then the counters and direct usage against a scratch
    // Postgres database (a few seconds); the proxy's usage over HTTP and the hub killed mid-stream (the
    // outbox's stream settings, the forwarder as a worker) only pay for what those miss.
    name: 'usage-counting',
    claim: 'Nothing is lost, nothing is counted twice: LLM usage counters, calls in flight at shutdown, the egress outbox and forwarder',
    mutate: [
      'control-plane/llm-proxy/counters.ts',
      'control-plane/llm-proxy/inflight.ts',
      'control-plane/billing/direct-usage.ts',
      'customer-plane/egress/outbox.ts',
      'customer-plane/egress/forwarder.ts',
    ],
    command: `${testsInOneProcess(
      'test/unit/control-plane/llm-proxy/inflight.test.ts',
      'test/unit/customer-plane/egress/forwarder.test.ts',
      'test/unit/customer-plane/egress/egress.test.ts',
      'test/unit/control-plane/llm-proxy/counters.test.ts',
    )} && ${tests(
      'test/integration/egress/outbox.test.ts',
      'test/integration/llm-proxy/counters-flush.test.ts',
      'test/integration/billing/direct-usage.test.ts',
      'test/integration/llm-proxy/usage.test.ts',
      'test/integration/boundary/hub-crash.test.ts',
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
    )} && ${tests('test/integration/runtime/runs-cli.test.ts', 'test/integration/approvals/cli.test.ts')}`,
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
      'test/unit/customer-plane/runner/run-workflow-resume.test.ts',
      'test/unit/customer-plane/runner/run-workflow-parallel.test.ts',
    )}`,
  },
  {
    // Direct tests only, in three processes (no isolation: each pays Node's start and the TypeScript
    // loading once): the relay's decisions and the silence sweep's schedule with fakes and the mock clock
    // (about a second); the workflow projection and the silence rule on a scratch Postgres (a frozen
    // now()); then the worker's ack/nak/term, the dead-letter publisher, the max-deliveries mover, ingest,
    // the dispatcher and the relay, one private nats-server per file (about 15 s together, where one
    // process per file took 40), with the existing test of handlers built during a hub reload. The fault
    // tests that proved these before are not needed for any mutant.
    name: 'dispatch-ingest',
    claim:
      'Nothing is lost, nothing is counted twice: dispatches queued on the hub until accepted, silent runs timed out, ingest and dead letters',
    mutate: [
      'control-plane/routing/dispatch.ts',
      'control-plane/routing/relay.ts',
      'control-plane/routing/silence.ts',
      // The relay's bookkeeping (status, attempts, undeliverable) and the projection of outcomes.
      'control-plane/db/workflows.ts:48-60',
      'control-plane/db/workflows.ts:113-201',
      'control-plane/telemetry/ingest.ts',
      'shared/jetstream-worker.ts',
      'shared/max-deliveries-mover.ts',
    ],
    command: [
      testsInOneProcess('test/unit/control-plane/routing/relay.test.ts', 'test/unit/control-plane/routing/silence-schedule.test.ts'),
      testsInOneProcess('test/integration/routing/workflow-outcomes.test.ts', 'test/integration/routing/silence.test.ts'),
      testsInOneProcess(
        'test/integration/telemetry/ingest.test.ts',
        'test/integration/shared/jetstream-worker.test.ts',
        'test/integration/shared/jetstream-worker-dlq.test.ts',
        'test/integration/shared/max-deliveries-mover.test.ts',
        'test/integration/routing/dispatch-relay.test.ts',
        // The dead-letter handlers built while JetStream is away (a hub reload) leave no rejection behind.
        'test/integration/shared/jetstream-handles-during-reload.test.ts',
      ),
    ].join(' && '),
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
    )}`,
  },
];
