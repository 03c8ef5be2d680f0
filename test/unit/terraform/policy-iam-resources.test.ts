// What each role may do, to which resources, under which conditions, and who may assume it: every role's
// grants are pinned statement by statement — actions, resources and condition values — so a grant pointed
// at another service's secret, log group or image, widened to one more resource, or stripped of the
// condition that narrows it (kms:ViaService, the EFS access point), fails. Changing a grant means changing
// this table in review.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { block, blocks, loadDist, resources, rolePolicyDocs, statements } from './tf-json.ts';

const tf = loadDist();

const region = '${var.region}';
const account = '${data.aws_caller_identity.caller.account_id}';
const partition = '${data.aws_partition.partition.partition}';

interface Grant {
  actions: string[];
  resources: string[] | string;
  /** "<test> <variable> = <value>, <value>", one entry per condition block. */
  conditions?: string[];
}

const viaService = (...services: string[]) => [
  `StringEquals kms:ViaService = ${services.map((s) => `${s}.${region}.amazonaws.com`).join(', ')}`,
];
const ecr = (svc: string): Record<string, Grant> => ({
  EcrLogin: { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
  PullPinnedImage: {
    actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    resources: [`\${local.${svc}_image_repository_arn}`],
  },
  WriteOwnLogGroup: {
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [`\${aws_cloudwatch_log_group.log_${svc}.arn}:log-stream:*`],
  },
});
const efsMount = (accessPoint: string, actions: string[]): Grant => ({
  actions,
  resources: ['${aws_efs_file_system.efs.arn}'],
  conditions: [`StringEquals elasticfilesystem:AccessPointArn = \${aws_efs_access_point.${accessPoint}.arn}`],
});
const decryptDataKey = (...services: string[]): Grant => ({
  actions: ['kms:Decrypt'],
  resources: ['${aws_kms_key.data_key.arn}'],
  conditions: viaService(...services),
});
const writeLogGroup = (group: string): Grant => ({
  actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
  resources: [`\${aws_cloudwatch_log_group.${group}.arn}`, `\${aws_cloudwatch_log_group.${group}.arn}:log-stream:*`],
});
const secret = (id: string) => `aws_secretsmanager_secret.secret_${id}`;
/** A secret name prefix under the stack's own name: an environment's scope or the run inputs. */
const scoped = (scope: string) => `arn:${partition}:secretsmanager:${region}:${account}:secret:\${local.name}/${scope}/*`;

/** role → statement sid → grant. Every Allow of every role policy, and nothing else. */
const GRANTS: Record<string, Record<string, Grant>> = {
  flow_logs: { DeliverFlowLogs: writeLogGroup('log_flow') },
  otel_execution: ecr('otel'),
  otel_task: { WriteMetricsAsEmbeddedMetricFormat: writeLogGroup('log_metrics') },
  runner_execution: {
    ...ecr('runner'),
    // ECS injects only what the code reads from its environment: ENROLL_TOKEN, and with the console on the
    // TLS pair for the entrypoint. Not the database password: the plane reads it at connect (runner_task).
    ReadInjectedSecrets: {
      actions: ['secretsmanager:GetSecretValue'],
      resources: `\${concat([${secret('enroll_token')}.arn], ${secret('console_tls_cert')}[*].arn, ${secret('console_tls_key')}[*].arn)}`,
    },
    DecryptWithStackKeyThroughAwsServices: decryptDataKey('secretsmanager'),
  },
  runner_task: {
    ReadOwnSecrets: {
      actions: ['secretsmanager:GetSecretValue'],
      resources: `\${concat([${['tenant_signing_key', 'leaf_credentials', 'openai_api_key', 'anthropic_api_key', 'agent_token', 'local_nats_logins'].map((n) => `${secret(n)}.arn`).join(', ')}], ${secret('local_admin_secret')}[*].arn)}`,
    },
    WriteOwnSecretsAtFirstStart: {
      actions: ['secretsmanager:PutSecretValue'],
      resources: `\${concat([${secret('tenant_signing_key')}.arn, ${secret('leaf_credentials')}.arn], ${secret('local_admin_secret')}[*].arn)}`,
    },
    // The RDS-managed master secret, and no other: read at each new database connection (rotation).
    ReadDatabasePassword: {
      actions: ['secretsmanager:GetSecretValue'],
      resources: ['${aws_db_instance.db.master_user_secret[0].secret_arn}'],
    },
    ReadEnvironmentScopes: {
      actions: ['secretsmanager:GetSecretValue'],
      resources: [scoped('sandbox'), scoped('preview'), scoped('production')],
    },
    ReadAndDeleteRunInputs: {
      actions: ['secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue'],
      resources: [scoped('run-inputs')],
    },
    // AWS defines ListSecrets on no resource: it shows names, never values.
    ListSecretNames: { actions: ['secretsmanager:ListSecrets'], resources: ['*'] },
    DecryptWithStackKeyThroughAwsServices: decryptDataKey('secretsmanager'),
    EncryptOwnSecretsWithStackKey: {
      actions: ['kms:GenerateDataKey'],
      resources: ['${aws_kms_key.data_key.arn}'],
      conditions: viaService('secretsmanager'),
    },
    MountStateReadWrite: efsMount('efs_ap_state', ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
    MountRepositoriesReadOnly: efsMount('efs_ap_repos', ['elasticfilesystem:ClientMount']),
  },
};

/** Who may assume each role: the service principal and the source ARN its confused-deputy guard names. */
const ecsTasks = ['ecs-tasks.amazonaws.com', `arn:${partition}:ecs:${region}:${account}:*`];
const TRUST: Record<string, string[]> = {
  flow_logs: ['vpc-flow-logs.amazonaws.com', `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*`],
  otel_execution: ecsTasks,
  otel_task: ecsTasks,
  runner_execution: ecsTasks,
  runner_task: ecsTasks,
};

const conditionText = (c: { test: string; variable: string; values: string[] }) => `${c.test} ${c.variable} = ${c.values.join(', ')}`;
const docOf = (ref: unknown) => /^\$\{data\.aws_iam_policy_document\.([a-z0-9_]+)\.json\}$/.exec(String(ref))?.[1];

function grantsByRole(): Record<string, Record<string, Grant>> {
  const docs = rolePolicyDocs(tf);
  const roleOfDoc = new Map<string, string>();
  for (const [, p] of resources(tf, 'aws_iam_role_policy')) {
    const doc = docOf(p.policy);
    const role = /^\$\{aws_iam_role\.([a-z0-9_]+)\.id\}$/.exec(String(p.role))?.[1];
    assert.ok(doc && role, `role policy ${String(p.policy)} on ${String(p.role)}`);
    roleOfDoc.set(doc, role);
  }
  const out: Record<string, Record<string, Grant>> = {};
  for (const s of statements(tf).filter((x) => docs.has(x.doc))) {
    assert.equal(s.effect, 'Allow', `${s.doc}/${s.sid}`);
    assert.equal(s.principals.length, 0, `${s.doc}/${s.sid}: an identity policy names no principal`);
    const role = roleOfDoc.get(s.doc)!;
    out[role] ??= {};
    assert.ok(!(s.sid in out[role]), `${role}: duplicate sid ${s.sid}`);
    const grant: Grant = { actions: [...s.actions].sort(), resources: typeof s.resources === 'string' ? s.resources : [...s.resources] };
    if (s.conditions.length > 0) grant.conditions = s.conditions.map(conditionText);
    out[role][s.sid] = grant;
  }
  return out;
}

test('IAM: every role is granted exactly its listed actions on exactly its listed resources, under exactly its listed conditions', () => {
  const actual = grantsByRole();
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(GRANTS).sort(), 'roles with a policy');
  for (const [role, grants] of Object.entries(GRANTS)) {
    assert.deepEqual(Object.keys(actual[role]).sort(), Object.keys(grants).sort(), `${role}: statements`);
    for (const [sid, want] of Object.entries(grants)) {
      const got = actual[role][sid];
      assert.deepEqual(got.actions, want.actions, `${role}/${sid}: actions`);
      assert.deepEqual(got.resources, want.resources, `${role}/${sid}: resources`);
      assert.deepEqual(got.conditions, want.conditions, `${role}/${sid}: conditions`);
    }
  }
});

test("IAM: only the plane's task role reads the leaf's login and the signing key, and each service writes only its own log group", () => {
  for (const [role, grants] of Object.entries(grantsByRole())) {
    const text = JSON.stringify(grants);
    if (role !== 'runner_task') {
      assert.doesNotMatch(text, /secret_leaf_credentials/, role);
      assert.doesNotMatch(text, /secret_tenant_signing_key/, role);
    }
    for (const svc of ['otel', 'runner', 'flow', 'metrics']) {
      if (!text.includes(`log_${svc}.`)) continue;
      assert.ok(
        role.startsWith(svc) || (svc === 'metrics' && role === 'otel_task') || (svc === 'flow' && role === 'flow_logs'),
        `${role} writes log_${svc}`,
      );
    }
  }
});

test('IAM: each role is assumable only by its own AWS service, for this account and from its own source ARN', () => {
  const roles = Object.fromEntries(resources(tf, 'aws_iam_role'));
  assert.deepEqual(Object.keys(roles).sort(), Object.keys(TRUST).sort());
  for (const [role, [service, sourceArn]] of Object.entries(TRUST)) {
    const doc = docOf(roles[role].assume_role_policy);
    assert.ok(doc, `${role} trust policy is a policy document`);
    const sts = blocks(tf.data.aws_iam_policy_document[doc].statement);
    assert.equal(sts.length, 1, `${role}: one trust statement`);
    const s = sts[0];
    assert.equal(s.effect, 'Allow', role);
    assert.deepEqual(s.actions, ['sts:AssumeRole'], role);
    assert.deepEqual(blocks(s.principals), [{ identifiers: [service], type: 'Service' }], `${role}: principal`);
    assert.deepEqual(
      blocks(s.condition).map((c) => conditionText(c as never)),
      [`StringEquals aws:SourceAccount = ${account}`, `ArnLike aws:SourceArn = ${sourceArn}`],
      `${role}: confused-deputy guard`,
    );
  }
});

test('IAM: roles hold one-hour sessions, carry only their own inline policy, and are named after the stack', () => {
  for (const [name, r] of resources(tf, 'aws_iam_role')) {
    assert.equal(r.max_session_duration, 3600, `${name} session length`);
    // Without it, a policy someone attached by hand outside Terraform would keep the role from being destroyed.
    assert.equal(r.force_detach_policies, true, `${name} detaches foreign policies on destroy`);
    assert.equal(r.name, `\${local.name}-${name.replace(/_/g, '-')}`, `${name} name`);
    assert.ok(String(r.description ?? '').length > 0, `${name} says what it is for`);
  }
  const policies = resources(tf, 'aws_iam_role_policy');
  assert.equal(policies.length, Object.keys(GRANTS).length);
  for (const [name, p] of policies) {
    assert.equal(p.name, 'least-privilege', name);
    assert.equal(p.role, `\${aws_iam_role.${name.replace(/_policy$/, '')}.id}`, `${name} belongs to its own role`);
  }
});

test('IAM: the policy documents of roles and keys use only the statement fields the stack sets', () => {
  // A field such as not_actions or not_resources would invert a statement; none is ever generated.
  const known = new Set(['sid', 'effect', 'actions', 'resources', 'principals', 'condition']);
  for (const [doc, body] of Object.entries(tf.data.aws_iam_policy_document)) {
    for (const s of blocks(body.statement)) {
      for (const k of Object.keys(s)) assert.ok(known.has(k), `${doc}: ${k}`);
      // Every statement names itself (AWS allows only letters and digits): the name reviewers and Access Analyzer findings cite.
      assert.match(String(s.sid), /^[A-Za-z0-9]+$/, `${doc}: sid`);
    }
    for (const k of Object.keys(body)) assert.ok(k === 'statement', `${doc}: ${k}`);
  }
  assert.ok(block(tf.data.aws_iam_policy_document.flow_logs_trust.statement));
});

// The image a service may pull is derived from its digest-pinned variable by a Terraform expression; that
// expression is run through the real Terraform evaluator (no provider needed), so a grant on a wrong or empty
// repository ARN fails here. Skipped when no terraform/tofu binary is on PATH.
const terraformBin = ['terraform', 'tofu'].find((bin) => {
  try {
    execFileSync(bin, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

test('IAM: each service may pull only from the ECR repository its own pinned image names', {
  skip: terraformBin ? false : 'terraform/tofu not on PATH',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentplane-image-arn-'));
  try {
    const images: Record<string, string> = {
      runner_image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/agentplane/runner@sha256:${'a'.repeat(64)}`,
      otel_image: `123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/team/otel/collector@sha256:${'c'.repeat(64)}`,
    };
    const locals = Object.fromEntries(
      ['runner', 'otel'].map((svc) => {
        const key = `${svc}_image_repository_arn`;
        return [key, tf.locals[key].replaceAll('${data.aws_partition.partition.partition}', 'aws')];
      }),
    );
    const variable = Object.fromEntries(Object.keys(images).map((v) => [v, { type: 'string' }]));
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ variable, locals }));
    const args = ['console', '-no-color', ...Object.entries(images).flatMap(([k, v]) => ['-var', `${k}=${v}`])];
    const out = execFileSync(terraformBin!, args, {
      cwd: dir,
      input: 'jsonencode([local.runner_image_repository_arn, local.otel_image_repository_arn])\n',
      env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(JSON.parse(out.trim()) as string), [
      'arn:aws:ecr:eu-west-1:123456789012:repository/agentplane/runner',
      'arn:aws:ecr:ap-southeast-2:123456789012:repository/team/otel/collector',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
