// The two customer-managed keys, statement by statement: who may use each key, for which actions, and — for
// the CloudWatch Logs service — only for the stack's own log groups. An entry dropped from the account's list
// breaks either Terraform's hold on the key (it could no longer rotate, tag or delete it) or the delegation the
// service roles rely on; an entry added widens it. Both fail here, as does a logs grant on the data key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blocks, loadDist, resources } from './tf-json.ts';

const tf = loadDist();

const region = '${var.region}';
const account = '${data.aws_caller_identity.caller.account_id}';
const partition = '${data.aws_partition.partition.partition}';

const ACCOUNT_ADMINISTERS = {
  sid: 'AccountAdministersAndDelegatesToIam',
  effect: 'Allow',
  // Administration (what Terraform needs to manage and delete the key, PutKeyPolicy included so the key
  // cannot be locked out), then use delegated to IAM (what the roles that name this key need).
  actions: [
    'kms:CancelKeyDeletion',
    'kms:CreateAlias',
    'kms:DeleteAlias',
    'kms:DescribeKey',
    'kms:DisableKey',
    'kms:EnableKey',
    'kms:EnableKeyRotation',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:ListAliases',
    'kms:ListResourceTags',
    'kms:PutKeyPolicy',
    'kms:ScheduleKeyDeletion',
    'kms:TagResource',
    'kms:UntagResource',
    'kms:UpdateAlias',
    'kms:UpdateKeyDescription',
    'kms:CreateGrant',
    'kms:Decrypt',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ListGrants',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:RetireGrant',
    'kms:RevokeGrant',
  ],
  resources: ['*'],
  principals: [{ type: 'AWS', identifiers: [`arn:${partition}:iam::${account}:root`] }],
  condition: [],
};

const logGroupArn = (prefix: string) => `arn:${partition}:logs:${region}:${account}:log-group:${prefix}*`;
const LOGS_SERVICE = {
  sid: 'CloudWatchLogsUsesKeyForStackLogGroups',
  effect: 'Allow',
  actions: [
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
  ],
  resources: ['*'],
  principals: [{ type: 'Service', identifiers: [`logs.${region}.amazonaws.com`] }],
  condition: [
    {
      test: 'ArnLike',
      variable: 'kms:EncryptionContext:aws:logs:arn',
      values: [
        logGroupArn('/agentplane/${local.name}/'),
        logGroupArn('/aws/rds/instance/${local.name}-metadata/'),
        logGroupArn('/aws/ecs/containerinsights/${local.name}/'),
      ],
    },
  ],
};

/** A policy document's statements in a fixed shape, so absent and empty fields compare alike. */
function keyPolicy(doc: string) {
  return blocks(tf.data.aws_iam_policy_document[doc].statement).map((s) => ({
    sid: s.sid,
    effect: s.effect,
    actions: s.actions,
    resources: s.resources,
    principals: blocks(s.principals).map((p) => ({ type: p.type, identifiers: p.identifiers })),
    condition: blocks(s.condition).map((c) => ({ test: c.test, variable: c.variable, values: c.values })),
  }));
}

test('KMS: the data key is administered by the account and used only through IAM; no service principal', () => {
  assert.equal(tf.resource.aws_kms_key.data_key.policy, '${data.aws_iam_policy_document.data_key_policy.json}');
  assert.deepEqual(keyPolicy('data_key_policy'), [ACCOUNT_ADMINISTERS]);
});

test('KMS: the logs key lets CloudWatch Logs encrypt only for log groups under the stack prefixes', () => {
  assert.equal(tf.resource.aws_kms_key.logs_key.policy, '${data.aws_iam_policy_document.logs_key_policy.json}');
  assert.deepEqual(keyPolicy('logs_key_policy'), [ACCOUNT_ADMINISTERS, LOGS_SERVICE]);
});

test('KMS: both keys rotate yearly and stay recoverable for 30 days after deletion', () => {
  const keys = Object.fromEntries(resources(tf, 'aws_kms_key'));
  assert.deepEqual(Object.keys(keys).sort(), ['data_key', 'logs_key']);
  for (const [name, k] of Object.entries(keys)) {
    assert.equal(k.enable_key_rotation, true, `${name} rotation`);
    assert.equal(k.rotation_period_in_days, 365, `${name} rotation period`);
    assert.equal(k.deletion_window_in_days, 30, `${name} deletion window (the longest AWS allows)`);
    // What the key protects, then the stack it belongs to: what an auditor reads in the KMS console.
    assert.match(String(k.description), /^agentplane customer plane: \S.* \(\$\{local\.name\}\)$/, `${name} description`);
    assert.deepEqual(k.tags, { Name: `\${local.name}-${name.replace(/_key$/, '')}` }, `${name} tags`);
  }
});

test('KMS: each key has an alias named after the stack, pointing at that key', () => {
  const aliases = Object.fromEntries(resources(tf, 'aws_kms_alias'));
  assert.deepEqual(aliases, {
    data_key_alias: { name: 'alias/${local.name}-data', target_key_id: '${aws_kms_key.data_key.key_id}' },
    logs_key_alias: { name: 'alias/${local.name}-logs', target_key_id: '${aws_kms_key.logs_key.key_id}' },
  });
});

test('KMS: log groups are encrypted with the logs key, everything else with the data key', () => {
  for (const [name, g] of resources(tf, 'aws_cloudwatch_log_group')) assert.equal(g.kms_key_id, '${aws_kms_key.logs_key.arn}', name);
  for (const type of ['aws_secretsmanager_secret', 'aws_efs_file_system', 'aws_db_instance', 'aws_elasticache_replication_group']) {
    for (const [name, r] of resources(tf, type)) assert.equal(r.kms_key_id, '${aws_kms_key.data_key.arn}', `${type}.${name}`);
  }
});
