import type { StackContext } from './context.ts';
import type { Statement } from './iam-doc.ts';
import { kmsDecryptVia, logStreams } from './iam.ts';
import { PLANE_SECRET_NAMES, PLANE_WRITES, type Secrets, withConsoleAdmin } from './secrets.ts';
import type { Storage } from './storage.ts';

// What each container may call at run time, resource by resource.

/**
 * The customer plane's task role: exactly the Secrets Manager calls its AWS secret store makes
 * (customer-plane/secrets/aws-store.ts), on exactly the names it makes them for, and its two EFS mounts.
 */
export function runnerTaskStatements(
  ctx: StackContext,
  d: { secrets: Secrets; storage: Storage; dataKeyArn: string; dbSecretArn: string },
): Statement[] {
  const { secrets, storage } = d;
  return [
    {
      // Its own secrets, by fixed name: read at start (preflight, enrollment), at each signature and at
      // each run's start (to mask them). The console's admin secret only when the console is on.
      sid: 'ReadOwnSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: withConsoleAdmin(
        secrets,
        PLANE_SECRET_NAMES.map((n) => secrets.plane[n].arn),
      ),
    },
    {
      // First start: the signing key it generates, then the leaf login enrollment returns; the console's
      // admin secret, generated at the first start with the console on. Nothing else is ever written.
      sid: 'WriteOwnSecretsAtFirstStart',
      actions: ['secretsmanager:PutSecretValue'],
      resources: withConsoleAdmin(
        secrets,
        PLANE_WRITES.map((n) => secrets.plane[n].arn),
      ),
    },
    {
      // The database password: the RDS-managed master secret (JSON, its `password` field), read when a new
      // connection needs it (kept up to 5 minutes), so a rotation reaches the plane without a restart.
      // Encrypted with the stack's data key (databases.ts): the Decrypt below covers it.
      sid: 'ReadDatabasePassword',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [d.dbSecretArn],
    },
    {
      // Secrets runs use by reference: each environment's scope, one level under the stack's prefix.
      sid: 'ReadEnvironmentScopes',
      actions: ['secretsmanager:GetSecretValue'],
      resources: secrets.scopeArnPatterns,
    },
    {
      // A run's secret inputs: read at use, deleted when the run ends (or at start once expired).
      sid: 'ReadAndDeleteRunInputs',
      actions: ['secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue'],
      resources: [secrets.runInputsArnPattern],
    },
    {
      // A run is told the names in its scope (never values). AWS defines ListSecrets on no resource type.
      sid: 'ListSecretNames',
      actions: ['secretsmanager:ListSecrets'],
      resources: ['*'],
    },
    kmsDecryptVia(ctx, d.dataKeyArn, ['secretsmanager']),
    {
      sid: 'EncryptOwnSecretsWithStackKey',
      actions: ['kms:GenerateDataKey'],
      resources: [d.dataKeyArn],
      conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${ctx.region}.amazonaws.com`] }],
    },
    {
      sid: 'MountStateReadWrite',
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [storage.fs.arn],
      conditions: [{ test: 'StringEquals', variable: 'elasticfilesystem:AccessPointArn', values: [storage.stateAccessPoint.arn] }],
    },
    {
      sid: 'MountRepositoriesReadOnly',
      actions: ['elasticfilesystem:ClientMount'],
      resources: [storage.fs.arn],
      conditions: [{ test: 'StringEquals', variable: 'elasticfilesystem:AccessPointArn', values: [storage.reposAccessPoint.arn] }],
    },
  ];
}

export function otelTaskStatements(_ctx: StackContext, metricsLogGroupArn: string): Statement[] {
  return [
    {
      sid: 'WriteMetricsAsEmbeddedMetricFormat',
      actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      resources: [metricsLogGroupArn, logStreams(metricsLogGroupArn)],
    },
  ];
}
