// Policy rules on the synthesized stack: network exposure, workload hardening, IAM least privilege, and
// the stack owning everything it creates. One test per rule, named after what it protects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { block, blocks, containerDefinitions, dataSources, loadDist, refersTo, resources, rolePolicyDocs, statements } from './tf-json.ts';

const tf = loadDist();
const INTERNET = ['0.0.0.0/0', '::/0'];

// Actions AWS defines on no resource type, so they can only be granted on "*". Each needs a reason.
const STAR_RESOURCE_ALLOWED: Record<string, string> = {
  'ecr:GetAuthorizationToken': 'ECR login token is account-wide; AWS offers no resource-level permission',
  'secretsmanager:ListSecrets': 'lists names and metadata, never values; AWS offers no resource-level permission',
};
// Secrets named by pattern (a scope's secrets are the customer's, created after apply): this account and
// region, under the stack's own prefix.
const STACK_SECRET_PATTERN =
  /^arn:\$\{data\.aws_partition\.partition\.partition\}:secretsmanager:\$\{var\.region\}:\$\{data\.aws_caller_identity\.caller\.account_id\}:secret:\$\{local\.name\}\/[a-z-]+\/\*$/;
// Key policies: "*" as resource means "this key" (a key policy cannot name its own ARN).
const KEY_POLICY_DOCS = new Set(['data_key_policy', 'logs_key_policy']);

test("Network: VPC flow logs capture all traffic of the stack's VPC into an encrypted log group", () => {
  const logs = resources(tf, 'aws_flow_log');
  assert.ok(logs.some(([, f]) => refersTo(f.vpc_id, 'aws_vpc.vpc') && f.traffic_type === 'ALL'));
  for (const [, f] of logs) {
    assert.equal(f.log_destination_type, 'cloud-watch-logs');
    assert.ok(refersTo(f.log_destination, 'aws_cloudwatch_log_group'));
  }
});

test('Network: VPC endpoints for ECR, S3, Logs, Secrets Manager, KMS, STS and EFS keep AWS traffic private', () => {
  const eps = resources(tf, 'aws_vpc_endpoint').map(([, e]) => e);
  const byService = (svc: string) => eps.find((e) => String(e.service_name).endsWith(`.${svc}`));
  for (const svc of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'kms', 'sts', 'elasticfilesystem']) {
    const e = byService(svc);
    assert.ok(e, `interface endpoint ${svc}`);
    assert.equal(e.vpc_endpoint_type, 'Interface', svc);
    assert.equal(e.private_dns_enabled, true, `${svc} private DNS`);
    for (const s of e.subnet_ids as string[]) assert.match(s, /aws_subnet\.private_/, `${svc} in private subnets`);
    assert.deepEqual(e.security_group_ids, ['${aws_security_group.sg_endpoints.id}'], svc);
  }
  const s3 = byService('s3');
  assert.ok(s3, 'S3 endpoint');
  assert.equal(s3.vpc_endpoint_type, 'Gateway');
  assert.ok((s3.route_table_ids as string[]).every((r) => r.includes('aws_route_table.private_')));
});

test('Network: no subnet hands out public IPs; workloads run only in private subnets', () => {
  for (const [name, s] of resources(tf, 'aws_subnet')) assert.equal(s.map_public_ip_on_launch, false, name);
  for (const [name, s] of resources(tf, 'aws_ecs_service')) {
    const net = block(s.network_configuration);
    assert.equal(net.assign_public_ip, false, `${name} public IP`);
    for (const sub of net.subnets as string[]) assert.match(sub, /aws_subnet\.private_/, `${name} subnet`);
  }
});

test('Network: private subnets reach the internet only through a NAT gateway in their own AZ', () => {
  for (const [name, rt] of resources(tf, 'aws_route_table').filter(([n]) => n.startsWith('private_'))) {
    const routes = blocks(rt.route);
    assert.equal(routes.length, 1, name);
    assert.ok(refersTo(routes[0].nat_gateway_id, 'aws_nat_gateway'), `${name} via NAT`);
    assert.ok(!routes[0].gateway_id, `${name} has no IGW route`);
  }
  assert.equal(resources(tf, 'aws_nat_gateway').length, 2, 'one NAT per AZ');
});

test("Network: the VPC's default security group is adopted with no rules", () => {
  const d = resources(tf, 'aws_default_security_group');
  assert.equal(d.length, 1);
  assert.equal(d[0][1].ingress, undefined);
  assert.equal(d[0][1].egress, undefined);
});

test("Security groups: no ingress from the internet (0.0.0.0/0 or ::/0); only the stack's own groups, and the console from the private networks the customer lists", () => {
  for (const [name, sg] of resources(tf, 'aws_security_group')) {
    assert.equal(sg.ingress, undefined, `${name} has no inline ingress`);
    assert.equal(sg.egress, undefined, `${name} has no inline egress`);
  }
  assert.equal(resources(tf, 'aws_security_group_rule').length, 0, 'rules are vpc_security_group_*_rule resources');
  // The one CIDR-sourced rule: the console's port on the plane, once per listed private network. The
  // variable refuses public ranges at plan time (variables.test.ts).
  const cidrRules = resources(tf, 'aws_vpc_security_group_ingress_rule').filter(([, r]) => r.cidr_ipv4 !== undefined);
  assert.deepEqual(
    cidrRules.map(([name, r]) => [name, r.for_each, r.cidr_ipv4, r.security_group_id, r.from_port, r.to_port, r.ip_protocol]),
    [
      [
        'ingress_console_from_private_networks',
        '${toset(var.console_allowed_cidrs)}',
        '${each.value}',
        '${aws_security_group.sg_runner.id}',
        7480,
        7480,
        'tcp',
      ],
    ],
  );
  for (const [name, r] of resources(tf, 'aws_vpc_security_group_ingress_rule')) {
    if (name === 'ingress_console_from_private_networks') continue;
    assert.ok(!INTERNET.includes(String(r.cidr_ipv4)) && !INTERNET.includes(String(r.cidr_ipv6)), name);
    assert.equal(r.cidr_ipv4, undefined, `${name} no CIDR source`);
    assert.equal(r.cidr_ipv6, undefined, `${name} no CIDR source`);
    assert.equal(r.prefix_list_id, undefined, `${name} no prefix list source`);
    assert.ok(refersTo(r.referenced_security_group_id, 'aws_security_group'), `${name} source is a stack group`);
    assert.notEqual(r.ip_protocol, '-1', `${name} not all protocols`);
    assert.equal(r.from_port, r.to_port, `${name} one port`);
  }
});

test("Security groups: the only egress off the VPC is HTTPS and the hub's leafnode port", () => {
  const allowed = new Set([443, '${var.hub_leafnode_port}']);
  let internetRules = 0;
  for (const [name, r] of resources(tf, 'aws_vpc_security_group_egress_rule')) {
    assert.notEqual(r.ip_protocol, '-1', `${name} not all protocols`);
    assert.equal(r.cidr_ipv6, undefined, `${name} no IPv6 egress`);
    assert.equal(r.from_port, r.to_port, `${name} one port`);
    if (r.cidr_ipv4 !== undefined) {
      internetRules++;
      assert.equal(r.cidr_ipv4, '0.0.0.0/0', name);
      assert.ok(allowed.has(r.from_port as number | string), `${name} port ${String(r.from_port)}`);
    } else {
      assert.ok(r.referenced_security_group_id || r.prefix_list_id, `${name} target is in the VPC`);
    }
  }
  assert.ok(internetRules <= 2);
  const leafnode = resources(tf, 'aws_vpc_security_group_egress_rule').filter(([, r]) => r.from_port === '${var.hub_leafnode_port}');
  assert.deepEqual(
    leafnode.map(([, r]) => r.security_group_id),
    ['${aws_security_group.sg_runner.id}'],
    'only the plane (its embedded leaf) dials the hub',
  );
});

test("Security groups: data stores and endpoints accept only the stack's workloads and have no egress", () => {
  const workloads = ['sg_runner', 'sg_otel'].map((g) => `\${aws_security_group.${g}.id}`);
  for (const g of ['sg_db', 'sg_efs', 'sg_endpoints']) {
    const id = `\${aws_security_group.${g}.id}`;
    const ingress = resources(tf, 'aws_vpc_security_group_ingress_rule').filter(([, r]) => r.security_group_id === id);
    assert.ok(ingress.length > 0, `${g} has ingress`);
    for (const [name, r] of ingress) assert.ok(workloads.includes(String(r.referenced_security_group_id)), name);
    const egress = resources(tf, 'aws_vpc_security_group_egress_rule').filter(([, r]) => r.security_group_id === id);
    assert.equal(egress.length, 0, `${g} has no egress`);
  }
  const runnerIngress = resources(tf, 'aws_vpc_security_group_ingress_rule').filter(
    ([, r]) => r.security_group_id === '${aws_security_group.sg_runner.id}',
  );
  assert.deepEqual(
    runnerIngress.map(([name]) => name),
    ['ingress_console_from_private_networks'],
    'the plane accepts connections only on its console, and only from the listed private networks',
  );
});

test('ECS: Container Insights is enabled on the cluster', () => {
  for (const [name, c] of resources(tf, 'aws_ecs_cluster')) {
    assert.ok(
      blocks(c.setting).some((s) => s.name === 'containerInsights' && ['enabled', 'enhanced'].includes(String(s.value))),
      name,
    );
  }
});

test('ECS: containers run as a non-root user on a read-only root filesystem with no capabilities', () => {
  const tasks = resources(tf, 'aws_ecs_task_definition');
  assert.equal(tasks.length, 2);
  for (const [name, t] of tasks) {
    assert.deepEqual(t.requires_compatibilities, ['FARGATE']);
    assert.equal(t.network_mode, 'awsvpc');
    for (const c of containerDefinitions(t)) {
      assert.equal(c.readonlyRootFilesystem, true, `${name} read-only root`);
      assert.ok(c.user && !/^(0|root)(:|$)/.test(c.user), `${name} user ${c.user}`);
      assert.notEqual(c.privileged, true, `${name} privileged`);
      assert.deepEqual(c.linuxParameters?.capabilities?.drop, ['ALL'], `${name} drops capabilities`);
      assert.equal(c.linuxParameters?.capabilities?.add, undefined, `${name} adds none`);
    }
  }
});

test("ECS: every container has a health check, drains on SIGTERM, and logs to the stack's log group", () => {
  for (const [name, t] of resources(tf, 'aws_ecs_task_definition')) {
    for (const c of containerDefinitions(t)) {
      assert.ok(c.healthCheck && c.healthCheck.command.length > 1, `${name} health check`);
      assert.ok(c.stopTimeout !== undefined && c.stopTimeout >= 30 && c.stopTimeout <= 120, `${name} stopTimeout`);
      assert.equal(c.linuxParameters?.initProcessEnabled, true, `${name} init forwards signals`);
      assert.equal(c.logConfiguration?.logDriver, 'awslogs', `${name} log driver`);
      assert.ok(refersTo(c.logConfiguration?.options['awslogs-group'], 'aws_cloudwatch_log_group'), `${name} log group`);
    }
  }
});

test('ECS: images come only from digest-pinned variables', () => {
  for (const [name, t] of resources(tf, 'aws_ecs_task_definition')) {
    for (const c of containerDefinitions(t)) {
      const m = /^\$\{var\.([a-z_]+_image)\}$/.exec(c.image);
      assert.ok(m, `${name} image ${c.image}`);
      assert.match(String(block(tf.variable[m[1]].validation).condition), /@sha256:\[a-f0-9\]\{64\}\$/, `${m[1]} validation`);
      assert.equal(tf.variable[m[1]].default, undefined, `${m[1]} has no default`);
    }
  }
});

test('ECS: Fargate Spot only for services that tolerate interruption; no exec into containers', () => {
  const services = Object.fromEntries(resources(tf, 'aws_ecs_service'));
  const providers = (s: string) => blocks(services[s].capacity_provider_strategy).map((p) => p.capacity_provider);
  assert.ok(providers('otel_service').includes('FARGATE_SPOT'), 'the collector uses Spot');
  assert.deepEqual(providers('runner_service'), ['FARGATE'], 'the plane (outbox, hub link, runs in flight) stays on-demand');
  // One plane task, the single writer of its state directory: a replacement never overlaps the old one.
  assert.equal(services.runner_service.desired_count, 1);
  assert.equal(services.runner_service.deployment_minimum_healthy_percent, 0);
  assert.equal(services.runner_service.deployment_maximum_percent, 100);
  for (const [name, s] of Object.entries(services)) {
    assert.equal(s.enable_execute_command, false, `${name} exec`);
    assert.equal(block(s.deployment_circuit_breaker).rollback, true, `${name} rollback`);
  }
});

test('IAM: no policy statement allows a wildcard action', () => {
  const all = statements(tf);
  assert.ok(all.length > 10);
  for (const s of all) {
    if (s.effect === 'Deny') continue; // a deny on s3:* is stricter than any list
    for (const a of s.actions) assert.ok(!a.includes('*'), `${s.doc}/${s.sid}: ${a}`);
  }
});

test('IAM: role policies name the stack\'s resources; "*" only for actions AWS cannot scope', () => {
  const docs = rolePolicyDocs(tf);
  assert.ok(docs.size >= 5);
  for (const s of statements(tf).filter((x) => docs.has(x.doc))) {
    const res = typeof s.resources === 'string' ? [s.resources] : s.resources;
    assert.ok(res.length > 0, `${s.doc}/${s.sid} names resources`);
    if (res.includes('*')) {
      assert.deepEqual(res, ['*'], `${s.doc}/${s.sid}`);
      for (const a of s.actions) assert.ok(a in STAR_RESOURCE_ALLOWED, `${s.doc}/${s.sid}: ${a} on "*"`);
      continue;
    }
    for (const r of res) {
      if (STACK_SECRET_PATTERN.test(r)) continue;
      assert.match(
        r,
        /\$\{(aws_[a-z0-9_]+\.|local\.[a-z_]+_image_repository_arn|concat\(\[aws_)/,
        `${s.doc}/${s.sid}: ${r} is a stack resource`,
      );
    }
  }
  for (const s of statements(tf).filter((x) => !docs.has(x.doc) && !KEY_POLICY_DOCS.has(x.doc))) {
    if (typeof s.resources !== 'string' && s.resources.includes('*')) assert.fail(`${s.doc}/${s.sid} uses "*"`);
  }
});

test('IAM: no Allow statement grants to a wildcard principal', () => {
  for (const s of statements(tf)) {
    if (s.effect !== 'Allow') continue;
    for (const p of s.principals) assert.ok(!p.identifiers.includes('*'), `${s.doc}/${s.sid}`);
  }
});

test('IAM: roles are assumable only by AWS services acting for this account', () => {
  for (const [name, role] of resources(tf, 'aws_iam_role')) {
    const docName = /data\.aws_iam_policy_document\.([a-z_]+)\.json/.exec(String(role.assume_role_policy))?.[1];
    assert.ok(docName, `${name} trust policy`);
    for (const s of blocks(tf.data.aws_iam_policy_document[docName].statement)) {
      assert.deepEqual(s.actions, ['sts:AssumeRole'], name);
      assert.ok(
        blocks(s.principals).every((p) => p.type === 'Service'),
        `${name} service principal`,
      );
      assert.ok(
        blocks(s.condition).some((c) => c.variable === 'aws:SourceAccount'),
        `${name} confused-deputy guard`,
      );
    }
  }
});

test('IAM: one execution and one task role per service, inline policies only', () => {
  const roles = resources(tf, 'aws_iam_role')
    .map(([n]) => n)
    .sort();
  assert.deepEqual(roles, ['flow_logs', 'otel_execution', 'otel_task', 'runner_execution', 'runner_task']);
  for (const t of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_policy', 'aws_iam_user', 'aws_iam_access_key']) {
    assert.equal(resources(tf, t).length, 0, `no ${t}`);
  }
  const tasks = Object.fromEntries(resources(tf, 'aws_ecs_task_definition'));
  for (const svc of ['runner', 'otel']) {
    assert.equal(tasks[`${svc}_task_definition`].task_role_arn, `\${aws_iam_role.${svc}_task.arn}`);
    assert.equal(tasks[`${svc}_task_definition`].execution_role_arn, `\${aws_iam_role.${svc}_execution.arn}`);
  }
});

test('KMS: key policies grant named actions only and never to a wildcard principal', () => {
  for (const doc of KEY_POLICY_DOCS) {
    for (const s of blocks(tf.data.aws_iam_policy_document[doc].statement)) {
      for (const a of s.actions as string[]) assert.ok(!a.includes('*'), `${doc}: ${a}`);
      assert.ok((s.actions as string[]).includes('kms:PutKeyPolicy') || blocks(s.principals).every((p) => p.type === 'Service'));
      for (const p of blocks(s.principals)) assert.ok(!(p.identifiers as string[]).includes('*'), doc);
    }
  }
});

test('Outputs: nothing secret is exported', () => {
  for (const [name, o] of Object.entries(tf.output)) {
    assert.notEqual(o.sensitive, true, `${name} sensitive`);
    const v = JSON.stringify(o.value);
    assert.doesNotMatch(v, /secret_string|random_password|auth_token|\.password|private_key/, name);
    assert.ok(o.description, `${name} described`);
  }
  assert.ok('nat_public_ips' in tf.output, 'the customer gets the egress IPs for the hub allow list');
});

test('Ownership: no provisioners, null resources, external programs or local files', () => {
  const banned = ['null_resource', 'terraform_data', 'local_file', 'local_sensitive_file'];
  for (const t of banned) assert.equal(tf.resource[t], undefined, t);
  for (const [type, group] of Object.entries(tf.resource)) {
    for (const [name, r] of Object.entries(group)) {
      assert.equal(r.provisioner, undefined, `${type}.${name} provisioner`);
    }
  }
  assert.equal(tf.data.external, undefined);
  assert.equal(tf.data.http, undefined);
  assert.deepEqual(Object.keys(tf.terraform.required_providers as object), ['aws'], 'only the AWS provider');
});

test('Ownership: data sources only read; everything created is a resource of this stack', () => {
  const readOnly = new Set(['aws_availability_zones', 'aws_caller_identity', 'aws_partition', 'aws_iam_policy_document']);
  for (const type of Object.keys(tf.data)) assert.ok(readOnly.has(type), `data.${type} is not known to be read-only`);
  assert.equal(tf.terraform.backend, undefined, 'no backend baked in (no machine paths, customer chooses)');
  assert.match(String((tf.terraform.required_providers as Record<string, { source: string }>).aws.source), /^hashicorp\/aws$/);
  // Nothing generates a secret value inside Terraform: every value is put after apply, outside state.
  assert.equal(dataSources(tf, 'aws_secretsmanager_random_password').length, 0);
  assert.equal(resources(tf, 'aws_secretsmanager_secret_version').length, 0);
});

test('Tags: provider default_tags mark every taggable resource with the stack and tenant', () => {
  const raw = JSON.stringify(block(block(tf.provider.aws[0].default_tags).tags));
  assert.match(raw, /agentplane:stack/);
  assert.match(raw, /agentplane:tenant\\" = var\.tenant_id/);
  assert.match(raw, /agentplane:managed-by/);
});

test('Link: the hub URL must use TLS', () => {
  const cond = String(block(tf.variable.hub_url.validation).condition);
  assert.match(cond, /\^tls:\/\//);
  assert.equal(tf.variable.hub_url.default, undefined, 'no default hub');
});
