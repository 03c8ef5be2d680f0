import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Fn, TerraformLocal, type TerraformVariable } from 'cdktf';
import { arn, type StackContext } from './context.ts';
import { policyDocument, type Statement } from './iam-doc.ts';
import { ECR_IMAGE_PATTERN } from './variables.ts';

// One execution role (what ECS itself needs to start the task: pull the image, write logs, inject
// secrets) and one task role (what the code in the container may do) per service. Every action is named;
// every resource is an ARN of this stack, except the single documented case AWS defines only on "*".
// Policies are inline, so they are created and destroyed with their role and cannot be attached elsewhere.

/**
 * AWS defines these actions on no resource type: they can only be granted on "*". ListSecrets returns
 * names and metadata, never a value; every value read is scoped to the stack's own secrets.
 */
export const ACTIONS_ONLY_GRANTABLE_ON_STAR = ['ecr:GetAuthorizationToken', 'secretsmanager:ListSecrets'] as const;

function trust(ctx: StackContext, id: string, service: string, sourceArn: string) {
  return policyDocument(ctx.scope, `${id}_trust`, [
    {
      sid: 'ServiceAssumesRoleForThisAccountOnly',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'Service', identifiers: [service] }],
      // Confused-deputy guard: the service may assume the role only on behalf of this account.
      conditions: [
        { test: 'StringEquals', variable: 'aws:SourceAccount', values: [ctx.accountId] },
        { test: 'ArnLike', variable: 'aws:SourceArn', values: [sourceArn] },
      ],
    },
  ]);
}

function role(ctx: StackContext, id: string, description: string, service: string, sourceArn: string, statements: Statement[]): IamRole {
  const r = new IamRole(ctx.scope, id, {
    name: `${ctx.name}-${id.replace(/_/g, '-')}`,
    description,
    assumeRolePolicy: trust(ctx, id, service, sourceArn).json,
    maxSessionDuration: 3600,
    forceDetachPolicies: true,
  });
  new IamRolePolicy(ctx.scope, `${id}_policy`, {
    name: 'least-privilege',
    role: r.id,
    policy: policyDocument(ctx.scope, `${id}_policy_doc`, statements).json,
  });
  return r;
}

/**
 * arn:...:ecr:<region>:<account>:repository/<name> of a digest-pinned image variable, as a named local so
 * the reviewer reads `local.runner_image_repository_arn` in the policy instead of the regex.
 */
export function imageRepositoryArn(ctx: StackContext, image: TerraformVariable, service: string): string {
  // cdktf quotes the pattern but does not escape it for HCL; double the backslashes so HCL reads "\\."
  const parts = Fn.regex(ECR_IMAGE_PATTERN.replace(/\\/g, '\\\\'), image.stringValue);
  return new TerraformLocal(
    ctx.scope,
    `${service}_image_repository_arn`,
    `arn:${ctx.partition}:ecr:${Fn.element(parts, 1)}:${Fn.element(parts, 0)}:repository/${Fn.element(parts, 2)}`,
  ).asString;
}

export function logStreams(logGroupArn: string): string {
  return `${logGroupArn}:log-stream:*`;
}

export function kmsDecryptVia(
  ctx: StackContext,
  keyArn: string,
  services: string[],
  sid = 'DecryptWithStackKeyThroughAwsServices',
): Statement {
  return {
    sid,
    actions: ['kms:Decrypt'],
    resources: [keyArn],
    conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: services.map((s) => `${s}.${ctx.region}.amazonaws.com`) }],
  };
}

export interface ServiceRoleSpec {
  service: 'runner' | 'otel';
  image: TerraformVariable;
  logGroupArn: string;
  /** Secrets ECS injects into the container environment at start (read by the execution role). */
  injectedSecretArns: string[];
  dataKeyArn: string;
  taskStatements: Statement[];
}

export interface ServiceRoles {
  execution: IamRole;
  task: IamRole;
}

export function createServiceRoles(ctx: StackContext, spec: ServiceRoleSpec): ServiceRoles {
  const ecsSource = arn(ctx, 'ecs', '*');
  const exec: Statement[] = [
    { sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
    {
      sid: 'PullPinnedImage',
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [imageRepositoryArn(ctx, spec.image, spec.service)],
    },
    {
      sid: 'WriteOwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logStreams(spec.logGroupArn)],
    },
  ];
  if (spec.injectedSecretArns.length > 0) {
    exec.push(
      { sid: 'ReadInjectedSecrets', actions: ['secretsmanager:GetSecretValue'], resources: spec.injectedSecretArns },
      kmsDecryptVia(ctx, spec.dataKeyArn, ['secretsmanager']),
    );
  }
  const execution = role(
    ctx,
    `${spec.service}_execution`,
    `ECS starts the ${spec.service} task: pull its image, write its logs, inject its secrets`,
    'ecs-tasks.amazonaws.com',
    ecsSource,
    exec,
  );
  const task = role(
    ctx,
    `${spec.service}_task`,
    `What the ${spec.service} container may call`,
    'ecs-tasks.amazonaws.com',
    ecsSource,
    spec.taskStatements,
  );
  return { execution, task };
}

export function createFlowLogRole(ctx: StackContext, flowLogGroupArn: string): IamRole {
  return role(
    ctx,
    'flow_logs',
    "VPC Flow Logs delivers the stack's flow logs to its log group",
    'vpc-flow-logs.amazonaws.com',
    arn(ctx, 'ec2', `vpc-flow-log/*`),
    [
      {
        sid: 'DeliverFlowLogs',
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [flowLogGroupArn, logStreams(flowLogGroupArn)],
      },
    ],
  );
}
