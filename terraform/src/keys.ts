import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { arn, logGroupPrefixes, type StackContext } from './context.ts';
import { policyDocument, type Statement } from './iam-doc.ts';

// Two customer-managed keys: one for data at rest (database, file system, secrets) and one
// for logs. Logs need a key policy that lets the CloudWatch Logs service use the key; keeping that grant
// off the data key means a log-service principal can never decrypt customer data.

// The account root is allowed exactly these actions, not kms:*. Administration is what Terraform needs to
// manage and delete the key (PutKeyPolicy stays in the list so the key cannot be locked out); usage is
// delegated to IAM so that the per-service roles, which name this key's ARN, can use it.
const KEY_ADMIN_ACTIONS = [
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
];
const KEY_USE_ACTIONS = [
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
];

export interface Keys {
  data: KmsKey;
  logs: KmsKey;
}

function accountStatement(ctx: StackContext): Statement {
  return {
    sid: 'AccountAdministersAndDelegatesToIam',
    actions: [...KEY_ADMIN_ACTIONS, ...KEY_USE_ACTIONS],
    // In a key policy "*" means "this key"; a key policy cannot name its own ARN before the key exists.
    resources: ['*'],
    principals: [{ type: 'AWS', identifiers: [arn(ctx, 'iam', 'root', { global: true })] }],
  };
}

function key(ctx: StackContext, id: string, description: string, statements: Statement[]): KmsKey {
  const policy = policyDocument(ctx.scope, `${id}_key_policy`, statements);
  const k = new KmsKey(ctx.scope, `${id}_key`, {
    description: `${description} (${ctx.name})`,
    enableKeyRotation: true,
    rotationPeriodInDays: 365,
    // The longest window: a destroyed stack's data stays recoverable for 30 days if the key is needed.
    deletionWindowInDays: 30,
    policy: policy.json,
    tags: { Name: `${ctx.name}-${id}` },
  });
  new KmsAlias(ctx.scope, `${id}_key_alias`, { name: `alias/${ctx.name}-${id}`, targetKeyId: k.keyId });
  return k;
}

export function createKeys(ctx: StackContext): Keys {
  const data = key(ctx, 'data', 'agentplane customer plane: data at rest', [accountStatement(ctx)]);
  const logs = key(ctx, 'logs', 'agentplane customer plane: CloudWatch log groups', [
    accountStatement(ctx),
    {
      sid: 'CloudWatchLogsUsesKeyForStackLogGroups',
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
      principals: [{ type: 'Service', identifiers: [`logs.${ctx.region}.amazonaws.com`] }],
      conditions: [
        {
          test: 'ArnLike',
          variable: 'kms:EncryptionContext:aws:logs:arn',
          values: logGroupPrefixes(ctx).map((p) => arn(ctx, 'logs', `log-group:${p}*`)),
        },
      ],
    },
  ]);
  return { data, logs };
}
