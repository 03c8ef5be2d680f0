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
const decryptDataKey = [['kms:Decrypt'], ['${aws_kms_key.data_key.arn}']];
const efs = '${aws_efs_file_system.efs.arn}';
const secret = (id: string) => `aws_secretsmanager_secret.secret_${id}`;
const scoped = (scope: string) =>
  `arn:\${data.aws_partition.partition.partition}:secretsmanager:\${var.region}:\${data.aws_caller_identity.caller.account_id}:secret:\${local.name}/${scope}/*`;

/** role → statement sid → [actions, resources]. Every Allow of every role policy, and nothing else. */
const GRANTS: Record<string, Record<string, unknown[]>> = {
  flow_logs: {
    DeliverFlowLogs: [
      ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      ['${aws_cloudwatch_log_group.log_flow.arn}', '${aws_cloudwatch_log_group.log_flow.arn}:log-stream:*'],
    ],
  },
  otel_execution: ecr('otel'),
  otel_task: {
    WriteMetricsAsEmbeddedMetricFormat: [
      ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      ['${aws_cloudwatch_log_group.log_metrics.arn}', '${aws_cloudwatch_log_group.log_metrics.arn}:log-stream:*'],
    ],
  },
  runner_execution: {
    ...ecr('runner'),
    // ECS injects only what the code reads from its environment: ENROLL_TOKEN, PGPASSWORD, and with the
    // console on the TLS pair for the entrypoint.
    ReadInjectedSecrets: [
      ['secretsmanager:GetSecretValue'],
      `\${concat([${secret('enroll_token')}.arn, aws_db_instance.db.master_user_secret[0].secret_arn], ${secret('console_tls_cert')}[*].arn, ${secret('console_tls_key')}[*].arn)}`,
    ],
    DecryptWithStackKeyThroughAwsServices: decryptDataKey,
  },
  runner_task: {
    ReadOwnSecrets: [
      ['secretsmanager:GetSecretValue'],
      `\${concat([${['tenant_signing_key', 'leaf_credentials', 'openai_api_key', 'anthropic_api_key', 'agent_token', 'local_nats_logins'].map((n) => `${secret(n)}.arn`).join(', ')}], ${secret('local_admin_secret')}[*].arn)}`,
    ],
    WriteOwnSecretsAtFirstStart: [
      ['secretsmanager:PutSecretValue'],
      `\${concat([${secret('tenant_signing_key')}.arn, ${secret('leaf_credentials')}.arn], ${secret('local_admin_secret')}[*].arn)}`,
    ],
    ReadEnvironmentScopes: [['secretsmanager:GetSecretValue'], [scoped('sandbox'), scoped('preview'), scoped('production')]],
    ReadAndDeleteRunInputs: [['secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue'], [scoped('run-inputs')]],
    ListSecretNames: [['secretsmanager:ListSecrets'], ['*']],
    DecryptWithStackKeyThroughAwsServices: decryptDataKey,
    EncryptOwnSecretsWithStackKey: [['kms:GenerateDataKey'], ['${aws_kms_key.data_key.arn}']],
    MountStateReadWrite: [['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], [efs]],
    MountRepositoriesReadOnly: [['elasticfilesystem:ClientMount'], [efs]],
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

test("IAM: only the plane's task role reads or writes the plane's own secrets, and each service writes only its own log group", () => {
  for (const [role, grants] of Object.entries(grantsByRole())) {
    const text = JSON.stringify(grants);
    if (role !== 'runner_task') assert.doesNotMatch(text, /secret_(tenant_signing_key|leaf_credentials|local_admin_secret)/, role);
    for (const svc of ['otel', 'runner', 'flow', 'metrics']) {
      if (!text.includes(`log_${svc}.`)) continue;
      assert.ok(
        role.startsWith(svc) || (svc === 'metrics' && role === 'otel_task') || (svc === 'flow' && role === 'flow_logs'),
        `${role} writes log_${svc}`,
      );
    }
  }
});
