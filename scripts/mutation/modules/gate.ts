import { type MutationModule, tests, testsInOneProcess } from '../commands.ts';

/** One gate for every effect: workspace paths, the gate, the command guard, approvals and environments. */
export const GATE_MODULES: MutationModule[] = [
  {
    name: 'workspace',
    claim: 'One gate for every effect: paths stay inside the workspace',
    mutate: ['customer-plane/workspace/paths.ts', 'customer-plane/workspace/workspace.ts'],
    command: testsInOneProcess('test/unit/customer-plane/workspace/workspace.test.ts'),
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
      'test/unit/customer-plane/gate/gate-env.test.ts',
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
    name: 'environments',
    claim: 'Named environments: checked at start, a run admitted only where it may run',
    mutate: ['customer-plane/environments/**/*.ts'],
    command: tests('test/unit/customer-plane/environments/environments.test.ts', 'test/unit/customer-plane/gate/policy.test.ts'),
  },
];
