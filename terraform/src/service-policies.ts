import { Fn } from 'cdktf';
import type { StackContext } from './context.ts';
import type { Statement } from './iam-doc.ts';
import { kmsDecryptVia, logStreams } from './iam.ts';
import type { Secrets } from './secrets.ts';
import type { Storage } from './storage.ts';

// What each container may call at run time, resource by resource.

function efsClient(storage: Storage, accessPointArn: string): Statement {
  return {
    sid: 'MountFileSystemThroughOwnAccessPoint',
    actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
    resources: [storage.fs.arn],
    conditions: [{ test: 'StringEquals', variable: 'elasticfilesystem:AccessPointArn', values: [accessPointArn] }],
  };
}

export function runnerTaskStatements(
  ctx: StackContext,
  d: { secrets: Secrets; dbSecretArn: string; storage: Storage; dataKeyArn: string },
): Statement[] {
  const bucket = d.storage.bucket.arn;
  return [
    {
      sid: 'ReadSecretsAtUse',
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      // BYOK keys are appended only in direct mode (the list is empty in routed mode).
      resources: Fn.concat([[d.secrets.telemetrySigningKey.arn, d.secrets.redisAuthToken.arn, d.dbSecretArn], d.secrets.byokArns]),
    },
    {
      sid: 'ListArtifacts',
      actions: ['s3:ListBucket'],
      resources: [bucket],
    },
    {
      sid: 'ReadWriteArtifacts',
      actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      resources: [`${bucket}/*`],
    },
    kmsDecryptVia(ctx, d.dataKeyArn, ['secretsmanager', 's3']),
    {
      sid: 'EncryptArtifactsWithStackKey',
      actions: ['kms:GenerateDataKey'],
      resources: [d.dataKeyArn],
      conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${ctx.region}.amazonaws.com`] }],
    },
    efsClient(d.storage, d.storage.workspaceAccessPoint.arn),
  ];
}

export function leafTaskStatements(_ctx: StackContext, storage: Storage): Statement[] {
  return [efsClient(storage, storage.jetstreamAccessPoint.arn)];
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
