import { type MutationModule, tests } from '../commands.ts';

/** The link and what crosses it: the boundary schema and egress, the leaf and hub configs, signed batches, their storage and sequence, the audit chain of what left. */
export const BOUNDARY_MODULES: MutationModule[] = [
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
    name: 'audit-log',
    claim: 'You can see exactly what left: the local hash-chained audit log and its check',
    mutate: ['customer-plane/egress/audit-log.ts', 'customer-plane/audit-verify.ts'],
    command: tests('test/unit/customer-plane/egress/audit-log.test.ts', 'test/unit/customer-plane/audit-verify.test.ts'),
  },
];
