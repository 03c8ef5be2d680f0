// What each role may do, and to which resources: the statements' effect and conditions are checked in
// policy-exposure.test.ts; here every role's grants are pinned action by action to the resources they
// cover, so a grant pointed at another service's secret, log group or image, or widened to one more
// resource, fails. Changing a grant means changing this table in review.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDist, resources, rolePolicyDocs, statements } from './tf-json.ts';

const tf = loadDist();

const ecr = (svc: string) => ({
  EcrLogin: [['ecr:GetAuthorizationToken'], ['*']],
  PullPinnedImage: [
    ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    [`\${local.${svc}_image_repository_arn}`],
  ],
  WriteOwnLogGroup: [['logs:CreateLogStream', 'logs:PutLogEvents'], [`\${aws_cloudwatch_log_group.log_${svc}.arn}:log-stream:*`]],
});
const efsMount = [['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], ['${aws_efs_file_system.efs.arn}']];
const decryptDataKey = [['kms:Decrypt'], ['${aws_kms_key.data_key.arn}']];

/** role → statement sid → [actions, resources]. Every Allow of every role policy, and nothing else. */
const GRANTS: Record<string, Record<string, unknown[]>> = {
  flow_logs: {
    DeliverFlowLogs: [
      ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      ['${aws_cloudwatch_log_group.log_flow.arn}', '${aws_cloudwatch_log_group.log_flow.arn}:log-stream:*'],
    ],
  },
  leaf_execution: {
    ...ecr('leaf'),
    ReadInjectedSecrets: [['secretsmanager:GetSecretValue'], ['${aws_secretsmanager_secret.secret_leaf_credentials.arn}']],
    DecryptWithStackKeyThroughAwsServices: decryptDataKey,
  },
  leaf_task: { MountFileSystemThroughOwnAccessPoint: efsMount },
  otel_execution: ecr('otel'),
  otel_task: {
    WriteMetricsAsEmbeddedMetricFormat: [
      ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      ['${aws_cloudwatch_log_group.log_metrics.arn}', '${aws_cloudwatch_log_group.log_metrics.arn}:log-stream:*'],
    ],
  },
  runner_execution: ecr('runner'),
  runner_task: {
    ReadSecretsAtUse: [
      ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      '${concat([aws_secretsmanager_secret.secret_telemetry_signing_key.arn, aws_secretsmanager_secret.secret_redis_auth_token.arn, aws_db_instance.db.master_user_secret[0].secret_arn], aws_secretsmanager_secret.secret_llm_provider_keys[*].arn)}',
    ],
    ListArtifacts: [['s3:ListBucket'], ['${aws_s3_bucket.artifacts.arn}']],
    ReadWriteArtifacts: [['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], ['${aws_s3_bucket.artifacts.arn}/*']],
    DecryptWithStackKeyThroughAwsServices: decryptDataKey,
    EncryptArtifactsWithStackKey: [['kms:GenerateDataKey'], ['${aws_kms_key.data_key.arn}']],
    MountFileSystemThroughOwnAccessPoint: efsMount,
  },
};

function grantsByRole(): Record<string, Record<string, unknown[]>> {
  const docs = rolePolicyDocs(tf);
  const roleOfDoc = new Map<string, string>();
  for (const [, p] of resources(tf, 'aws_iam_role_policy')) {
    const doc = /data\.aws_iam_policy_document\.([a-z0-9_]+)\.json/.exec(String(p.policy))?.[1];
    const role = /^\$\{aws_iam_role\.([a-z0-9_]+)\.id\}$/.exec(String(p.role))?.[1];
    assert.ok(doc && role, `role policy ${String(p.policy)} on ${String(p.role)}`);
    roleOfDoc.set(doc, role);
  }
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const s of statements(tf).filter((x) => docs.has(x.doc))) {
    assert.equal(s.effect, 'Allow', `${s.doc}/${s.sid}`);
    const role = roleOfDoc.get(s.doc)!;
    out[role] ??= {};
    assert.ok(!(s.sid in out[role]), `${role}: duplicate sid ${s.sid}`);
    out[role][s.sid] = [[...s.actions].sort(), typeof s.resources === 'string' ? s.resources : [...s.resources]];
  }
  return out;
}

test('IAM: every role is granted exactly its listed actions on exactly its listed resources', () => {
  assert.deepEqual(grantsByRole(), GRANTS);
});

test("IAM: only the leaf's execution role reads the leaf's credentials, and each service writes only its own log group", () => {
  for (const [role, grants] of Object.entries(grantsByRole())) {
    const text = JSON.stringify(grants);
    if (role !== 'leaf_execution') assert.doesNotMatch(text, /secret_leaf_credentials/, role);
    for (const svc of ['leaf', 'otel', 'runner', 'flow', 'metrics']) {
      if (!text.includes(`log_${svc}.`)) continue;
      assert.ok(
        role.startsWith(svc) || (svc === 'metrics' && role === 'otel_task') || (svc === 'flow' && role === 'flow_logs'),
        `${role} writes log_${svc}`,
      );
    }
  }
});
