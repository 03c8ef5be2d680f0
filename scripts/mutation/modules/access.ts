import { type MutationModule, node, tests, testsInOneProcess } from '../commands.ts';

/** Access, configuration, logs, secrets, the console and the deployed stack. */
export const ACCESS_MODULES: MutationModule[] = [
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
    // The password source and its cache are unit-tested with a fake store and clock; the pool's retry after a
    // refused password and the store's outage need a Postgres that checks passwords (an embedded one).
    name: 'database-password',
    claim: 'Secrets: the database password is read from Secrets Manager when a connection opens; a rotation needs no restart',
    mutate: ['shared/db/password.ts', 'customer-plane/secrets/database-password.ts', 'shared/db/pool.ts:48-105'],
    command: tests('test/unit/shared/db/password.test.ts', 'test/integration/secrets/database-password-at-connect.test.ts'),
  },
  {
    name: 'log',
    claim: 'Secrets: logs redact credentials at any depth',
    mutate: ['shared/log.ts', 'shared/log-redact.ts'],
    command: testsInOneProcess('test/unit/shared/log-redact.test.ts', 'test/unit/shared/log.test.ts'),
  },
  {
    name: 'secrets-masking',
    claim: 'Secrets the model never sees: every value the run knows is masked, in every form',
    mutate: [
      'customer-plane/secrets/masker.ts',
      'customer-plane/secrets/masking.ts',
      'customer-plane/secrets/substitute.ts',
      'agents/command-env.ts',
      'agents/secret-reference.ts',
    ],
    command: tests(
      'test/unit/agents/command-env.test.ts',
      'test/unit/customer-plane/secrets/masker.test.ts',
      'test/unit/customer-plane/secrets/substitution.test.ts',
      'test/unit/customer-plane/secrets/env-substitution.test.ts',
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
];
