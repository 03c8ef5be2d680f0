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

test('ElastiCache: encrypted at rest (CMK) and in transit, with an AUTH token from Secrets Manager', () => {
  const groups = resources(tf, 'aws_elasticache_replication_group');
  assert.ok(groups.length > 0);
  for (const [name, r] of groups) {
    assert.ok(r.at_rest_encryption_enabled === true || r.at_rest_encryption_enabled === 'true', `${name} at rest`);
    assert.ok(refersTo(r.kms_key_id, 'aws_kms_key.data_key'), `${name} kms`);
    assert.equal(r.transit_encryption_enabled, true, `${name} transit`);
    assert.equal(r.transit_encryption_mode, 'required', `${name} transit required`);
    assert.ok(refersTo(r.auth_token, 'aws_secretsmanager_secret_version.secret_redis_auth_token_value'), `${name} auth token`);
    assert.equal(r.automatic_failover_enabled, true, `${name} failover`);
  }
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

test('S3: all four public access block settings are on', () => {
  const buckets = resources(tf, 'aws_s3_bucket').map(([n]) => n);
  for (const name of buckets) {
    const pab = resources(tf, 'aws_s3_bucket_public_access_block').find(([, p]) => refersTo(p.bucket, `aws_s3_bucket.${name}`));
    assert.ok(pab, `${name} has a public access block`);
    for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) {
      assert.equal(pab[1][k], true, `${name} ${k}`);
    }
  }
  assert.equal(resources(tf, 'aws_s3_bucket_acl').length, 0, 'no ACLs (ownership enforced)');
  const own = resources(tf, 'aws_s3_bucket_ownership_controls');
  assert.ok(own.every(([, o]) => block(o.rule).object_ownership === 'BucketOwnerEnforced'));
});

test("S3: default encryption is SSE-KMS with the stack's key", () => {
  for (const [name] of resources(tf, 'aws_s3_bucket')) {
    const sse = resources(tf, 'aws_s3_bucket_server_side_encryption_configuration').find(([, c]) =>
      refersTo(c.bucket, `aws_s3_bucket.${name}`),
    );
    assert.ok(sse, `${name} has SSE configuration`);
    const rule = blocks(sse[1].rule)[0];
    const def = block(rule.apply_server_side_encryption_by_default);
    assert.equal(def.sse_algorithm, 'aws:kms');
    assert.ok(refersTo(def.kms_master_key_id, 'aws_kms_key.data_key'));
  }
});

test('S3: versioning is enabled', () => {
  for (const [name] of resources(tf, 'aws_s3_bucket')) {
    const v = resources(tf, 'aws_s3_bucket_versioning').find(([, c]) => refersTo(c.bucket, `aws_s3_bucket.${name}`));
    assert.ok(v, `${name} versioning resource`);
    assert.equal(block(v[1].versioning_configuration).status, 'Enabled');
  }
});

test('S3: bucket policy denies any request not made over TLS', () => {
  for (const [name] of resources(tf, 'aws_s3_bucket')) {
    const pol = resources(tf, 'aws_s3_bucket_policy').find(([, p]) => refersTo(p.bucket, `aws_s3_bucket.${name}`));
    assert.ok(pol, `${name} has a bucket policy`);
    const docName = /data\.aws_iam_policy_document\.([a-z_]+)\.json/.exec(String(pol[1].policy))?.[1];
    assert.ok(docName);
    const deny = blocks(tf.data.aws_iam_policy_document[docName].statement).find(
      (s) =>
        s.effect === 'Deny' &&
        blocks(s.condition).some((c) => c.test === 'Bool' && c.variable === 'aws:SecureTransport' && (c.values as string[])[0] === 'false'),
    );
    assert.ok(deny, `${name} denies aws:SecureTransport=false`);
    assert.deepEqual(deny.actions, ['s3:*']);
  }
});

test('S3: lifecycle expires objects and old versions after artifact_retention_days', () => {
  const lc = resources(tf, 'aws_s3_bucket_lifecycle_configuration');
  assert.equal(lc.length, resources(tf, 'aws_s3_bucket').length);
  for (const [name, c] of lc) {
    const rules = blocks(c.rule).filter((r) => r.status === 'Enabled');
    assert.ok(
      rules.some((r) => blocks(r.expiration).some((e) => e.days === '${var.artifact_retention_days}')),
      `${name} expiration`,
    );
    assert.ok(
      rules.some((r) => blocks(r.noncurrent_version_expiration).some((e) => e.noncurrent_days === '${var.artifact_retention_days}')),
      `${name} noncurrent expiration`,
    );
    assert.ok(
      rules.some((r) => blocks(r.abort_incomplete_multipart_upload).length > 0),
      `${name} aborts stale uploads`,
    );
  }
});

test('Secrets Manager: every secret is encrypted with the customer-managed key', () => {
  const secrets = resources(tf, 'aws_secretsmanager_secret');
  assert.ok(secrets.length >= 4);
  for (const [name, s] of secrets) assert.ok(refersTo(s.kms_key_id, 'aws_kms_key.data_key'), `${name} kms_key_id`);
});

test('Secrets Manager: leaf credentials, telemetry key and BYOK keys exist; only the Redis token has a value in state', () => {
  const names = resources(tf, 'aws_secretsmanager_secret').map(([, s]) => String(s.name));
  for (const suffix of ['/nats-leaf-credentials', '/telemetry-signing-key', '/llm-provider-keys', '/redis-auth-token']) {
    assert.ok(
      names.some((n) => n.endsWith(suffix)),
      suffix,
    );
  }
  const versions = resources(tf, 'aws_secretsmanager_secret_version');
  assert.deepEqual(
    versions.map(([n]) => n),
    ['secret_redis_auth_token_value'],
  );
  assert.equal(tf.resource.aws_secretsmanager_secret.secret_llm_provider_keys.count, '${(var.llm_mode == "direct") ? 1 : 0}');
});

test('Containers: secrets are referenced by ARN, never placed as literal values in task definitions', () => {
  for (const [name, t] of resources(tf, 'aws_ecs_task_definition')) {
    for (const c of containerDefinitions(t)) {
      for (const e of c.environment ?? []) {
        assert.doesNotMatch(e.value, /\.(secret_string|random_password|auth_token|password)\b/, `${name} ${e.name}`);
        assert.doesNotMatch(e.name, /(PASSWORD|TOKEN|PRIVATE_KEY|API_KEY)$/, `${name} ${e.name} looks like a secret value`);
      }
      for (const s of c.secrets ?? []) assert.ok(refersTo(s.valueFrom, 'aws_secretsmanager_secret'), `${name} ${s.name}`);
    }
  }
});
