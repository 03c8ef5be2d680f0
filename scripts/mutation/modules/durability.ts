import { type MutationModule, tests, testsInOneProcess } from '../commands.ts';

/** Nothing is lost, nothing is counted twice: usage counting, dispatch, silence, ingest and dead letters. */
export const DURABILITY_MODULES: MutationModule[] = [
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
    // Direct tests only, in three processes (no isolation: each pays Node's start and the TypeScript
    // loading once): the relay's decisions and the silence sweep's schedule with fakes and the mock clock
    // (about a second); the workflow projection and the silence rule on a scratch Postgres (a frozen
    // now()); then the worker's ack/nak/term, the dead-letter publisher, the max-deliveries mover, ingest,
    // the dispatcher and the relay, one private nats-server per file (about 15 s together, where one
    // process per file took 40), with the existing test of handlers built during a hub reload. The fault
    // tests that proved these before are not needed for any mutant. A mutant that leaks the route's
    // connection (release dropped) fails its test after the pool's 5 s connect timeout, then hangs in
    // teardown until Stryker's timeout: counted as killed.
    name: 'dispatch-ingest',
    claim:
      'Nothing is lost, nothing is counted twice: a workflow stored only with its dispatch queued on the hub, dispatches queued until accepted, silent runs timed out, ingest and dead letters',
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
      // POST /v1/workflows: the queued row and the hub publish in one transaction (no row without a dispatch).
      'control-plane/http/routes/workflows.ts',
      'control-plane/db/workflows.ts:40-47',
      'shared/db/pool.ts:108-134',
    ],
    command: [
      testsInOneProcess(
        'test/unit/control-plane/routing/relay.test.ts',
        'test/unit/control-plane/routing/silence-schedule.test.ts',
        'test/unit/shared/jetstream-term-reason.test.ts',
      ),
      testsInOneProcess(
        'test/integration/routing/workflow-outcomes.test.ts',
        'test/integration/routing/silence.test.ts',
        // The route on a fastify app with a recording dispatcher, and inTransaction itself (a second each).
        'test/integration/http/workflows-route.test.ts',
        'test/integration/db/in-transaction.test.ts',
      ),
      testsInOneProcess(
        'test/integration/telemetry/ingest.test.ts',
        'test/integration/shared/jetstream-worker.test.ts',
        'test/integration/shared/jetstream-worker-term.test.ts',
        'test/integration/shared/jetstream-worker-dlq.test.ts',
        'test/integration/shared/max-deliveries-mover.test.ts',
        'test/integration/routing/dispatch-relay.test.ts',
        // The dead-letter handlers built while JetStream is away (a hub reload) leave no rejection behind.
        'test/integration/shared/jetstream-handles-during-reload.test.ts',
      ),
    ].join(' && '),
  },
];
