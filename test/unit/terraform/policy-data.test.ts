// Policy rules on the synthesized stack: encryption at rest and in transit, backups, retention, secrets.
// Each test is one rule, named after what it protects, in the spirit of checkov/tfsec checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { block, blocks, containerDefinitions, loadDist, refersTo, resources } from './tf-json.ts';

const tf = loadDist();
const CLOUDWATCH_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const isCmk = (v: unknown) => typeof v === 'string' && /^\$\{aws_kms_key\.[a-z_]+\.arn\}$/.test(v);

test('KMS: every customer-managed key rotates automatically', () => {
  const keys = resources(tf, 'aws_kms_key');
  assert.ok(keys.length >= 2, 'expected a data key and a logs key');
  for (const [name, k] of keys) {
    assert.equal(k.enable_key_rotation, true, `${name} rotation`);
    assert.ok(Number(k.deletion_window_in_days) >= 7, `${name} deletion window`);
  }
});

test('KMS: the data key is not usable by the CloudWatch Logs service', () => {
  const docName = /data\.aws_iam_policy_document\.([a-z_]+)\.json/.exec(String(tf.resource.aws_kms_key.data_key.policy))?.[1];
  assert.ok(docName, 'data key policy comes from a policy document');
  for (const s of blocks(tf.data.aws_iam_policy_document[docName].statement)) {
    for (const p of blocks(s.principals)) assert.notEqual(p.type, 'Service', 'no service principal on the data key');
  }
});

test('Logs: every log group is encrypted with a customer-managed key', () => {
  const groups = resources(tf, 'aws_cloudwatch_log_group');
  assert.ok(groups.length > 0);
  for (const [name, g] of groups) assert.ok(isCmk(g.kms_key_id), `${name} kms_key_id`);
});

test('Logs: every log group has a retention taken from log_retention_days', () => {
  for (const [name, g] of resources(tf, 'aws_cloudwatch_log_group')) {
    assert.equal(g.retention_in_days, '${var.log_retention_days}', `${name} retention`);
    assert.notEqual(g.skip_destroy, true, `${name} must be deleted with the stack`);
  }
  const cond = String(block(tf.variable.log_retention_days.validation).condition);
  for (const days of CLOUDWATCH_RETENTION) assert.match(cond, new RegExp(`\\b${days}\\b`));
  assert.ok(Number(tf.variable.log_retention_days.default) > 0, "retention is never 'forever' by default (0)");
});

test('Logs: AWS-created log groups (RDS exports, Container Insights) are pre-created by the stack', () => {
  const names = resources(tf, 'aws_cloudwatch_log_group').map(([, g]) => String(g.name));
  assert.ok(names.some((n) => n.startsWith('/aws/rds/instance/') && n.endsWith('/postgresql')));
  assert.ok(names.some((n) => n.startsWith('/aws/rds/instance/') && n.endsWith('/upgrade')));
  assert.ok(names.some((n) => n.startsWith('/aws/ecs/containerinsights/') && n.endsWith('/performance')));
  const db = tf.resource.aws_db_instance.db;
  assert.ok(
    (db.depends_on as string[]).some((d) => d.startsWith('aws_cloudwatch_log_group.')),
    'db waits for its log groups',
  );
});

test('KMS: the logs key serves every log group of the stack (a group outside its policy could not be written)', () => {
  const st = blocks(tf.data.aws_iam_policy_document.logs_key_policy.statement).find((s) =>
    blocks(s.principals).some((p) => p.type === 'Service'),
  );
  assert.ok(st, 'logs service statement');
  const patterns = blocks(st.condition)
    .filter((c) => c.variable === 'kms:EncryptionContext:aws:logs:arn')
    .flatMap((c) => c.values as string[])
    .map((v) => v.slice(v.indexOf(':log-group:') + ':log-group:'.length));
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  for (const [name, g] of resources(tf, 'aws_cloudwatch_log_group')) {
    assert.ok(
      patterns.some((p) => glob(p).test(String(g.name))),
      `${name} (${String(g.name)}) not covered by ${patterns.join(', ')}`,
    );
  }
});

test('RDS: storage encrypted with the customer-managed data key', () => {
  for (const [name, db] of resources(tf, 'aws_db_instance')) {
    assert.equal(db.storage_encrypted, true, name);
    assert.ok(refersTo(db.kms_key_id, 'aws_kms_key.data_key'), `${name} kms_key_id`);
    assert.ok(refersTo(db.performance_insights_kms_key_id, 'aws_kms_key.data_key'), `${name} PI key`);
  }
});

test('RDS: not publicly accessible and only in private subnets', () => {
  const db = tf.resource.aws_db_instance.db;
  assert.equal(db.publicly_accessible, false);
  const group = tf.resource.aws_db_subnet_group.db_subnets;
  for (const s of group.subnet_ids as string[]) assert.match(s, /aws_subnet\.private_/);
});

test('RDS: automated backups kept at least 7 days, final snapshot on destroy', () => {
  const db = tf.resource.aws_db_instance.db;
  assert.equal(db.backup_retention_period, '${var.backup_retention_days}');
  assert.match(String(block(tf.variable.backup_retention_days.validation).condition), />= 7 /);
  assert.equal(db.skip_final_snapshot, false);
  assert.ok(db.final_snapshot_identifier);
  assert.equal(db.copy_tags_to_snapshot, true);
});

test("RDS: deletion protection is the customer's variable and on by default", () => {
  assert.equal(tf.resource.aws_db_instance.db.deletion_protection, '${var.deletion_protection}');
  assert.equal(tf.variable.deletion_protection.default, true);
});

test('RDS: master password managed by RDS in Secrets Manager, never in Terraform', () => {
  const db = tf.resource.aws_db_instance.db;
  assert.equal(db.manage_master_user_password, true);
  assert.equal(db.password, undefined);
  assert.equal(db.password_wo, undefined);
  assert.ok(refersTo(db.master_user_secret_kms_key_id, 'aws_kms_key.data_key'));
});

test('RDS: logs exported to CloudWatch and TLS forced by the parameter group', () => {
  const db = tf.resource.aws_db_instance.db;
  assert.deepEqual([...(db.enabled_cloudwatch_logs_exports as string[])].sort(), ['postgresql', 'upgrade']);
  const params = blocks(tf.resource.aws_db_parameter_group.db_params.parameter);
  assert.ok(
    params.some((p) => p.name === 'rds.force_ssl' && p.value === '1'),
    'rds.force_ssl = 1',
  );
  assert.ok(refersTo(db.parameter_group_name, 'aws_db_parameter_group.db_params'));
  assert.equal(db.auto_minor_version_upgrade, true, 'minor-version patching by AWS');
});

test('EFS: file system encrypted with the customer-managed data key', () => {
  for (const [name, fs] of resources(tf, 'aws_efs_file_system')) {
    assert.equal(fs.encrypted, true, name);
    assert.ok(refersTo(fs.kms_key_id, 'aws_kms_key.data_key'), `${name} kms`);
  }
});

test('EFS: mounts only over TLS, through an access point, never as root', () => {
  const doc = tf.data.aws_iam_policy_document.efs_policy_doc;
  const st = blocks(doc.statement);
  assert.ok(
    st.some(
      (s) =>
        s.effect === 'Deny' &&
        blocks(s.condition).some((c) => c.variable === 'aws:SecureTransport' && (c.values as string[]).includes('false')),
    ),
    'deny without TLS',
  );
  assert.ok(st.some((s) => s.effect === 'Deny' && (s.actions as string[]).includes('elasticfilesystem:ClientRootAccess')));
  for (const [name, t] of resources(tf, 'aws_ecs_task_definition')) {
    for (const v of blocks(t.volume)) {
      if (!v.efs_volume_configuration) continue;
      const efs = block(v.efs_volume_configuration);
      assert.equal(efs.transit_encryption, 'ENABLED', `${name} ${v.name} TLS`);
      const auth = block(efs.authorization_config);
      assert.equal(auth.iam, 'ENABLED', `${name} ${v.name} IAM auth`);
      assert.ok(refersTo(auth.access_point_id, 'aws_efs_access_point'), `${name} ${v.name} access point`);
    }
  }
});

test('EFS: access points force a fixed non-root POSIX user', () => {
  const aps = resources(tf, 'aws_efs_access_point');
  assert.ok(aps.length >= 1);
  for (const [name, ap] of aps) {
    const user = block(ap.posix_user);
    assert.ok(Number(user.uid) > 0 && Number(user.gid) > 0, `${name} uid/gid non-root`);
    const root = block(ap.root_directory);
    assert.notEqual(root.path, '/', `${name} confined below /`);
    assert.equal(block(root.creation_info).owner_uid, user.uid, `${name} owns its directory`);
  }
});

test('Secrets Manager: every secret is encrypted with the customer-managed key', () => {
  const secrets = resources(tf, 'aws_secretsmanager_secret');
  assert.ok(secrets.length >= 4);
  for (const [name, s] of secrets) assert.ok(refersTo(s.kms_key_id, 'aws_kms_key.data_key'), `${name} kms_key_id`);
});

test("Secrets Manager: the plane's own secrets exist under the stack's prefix by the names the code reads; none has a value in state", () => {
  const names = resources(tf, 'aws_secretsmanager_secret').map(([, s]) => String(s.name));
  for (const id of ['tenant-signing-key', 'leaf-credentials', 'openai-api-key', 'anthropic-api-key', 'agent-token', 'local-nats-logins']) {
    assert.ok(names.includes(`\${local.name}/${id}`), id);
  }
  assert.ok(names.includes('${local.name}/enroll-token'));
  // The console's secrets exist only with the console on.
  for (const id of ['local_admin_secret', 'console_tls_cert', 'console_tls_key']) {
    assert.equal(tf.resource.aws_secretsmanager_secret[`secret_${id}`].count, '${(length(var.console_allowed_cidrs) >= 1) ? 1 : 0}', id);
  }
  assert.equal(resources(tf, 'aws_secretsmanager_secret_version').length, 0, 'no value passes through Terraform');
});

test('Containers: secrets are referenced by ARN, never placed as literal values in task definitions', () => {
  for (const [name, t] of resources(tf, 'aws_ecs_task_definition')) {
    for (const c of containerDefinitions(t)) {
      for (const e of c.environment ?? []) {
        assert.doesNotMatch(e.value, /\.(secret_string|random_password|auth_token|password)\b/, `${name} ${e.name}`);
        assert.doesNotMatch(e.name, /(PASSWORD|TOKEN|PRIVATE_KEY|API_KEY)$/, `${name} ${e.name} looks like a secret value`);
      }
      for (const s of c.secrets ?? []) {
        const fromStackSecret =
          refersTo(s.valueFrom, 'aws_secretsmanager_secret') || /^\$\{local\.console_tls_(cert|key)_secret_arn\}$/.test(s.valueFrom);
        assert.ok(fromStackSecret, `${name} ${s.name}: ${s.valueFrom}`);
      }
    }
  }
});
