// Every security group rule of the stack, each direction on its own: the complete list of flows, rule by rule
// (group, peer, protocol, port). A flow opened on one side only, pointed at another group or port, one flow
// more or one fewer — each fails here by name. policy-exposure.test.ts states the general rules (no ingress
// from the internet, no egress off the VPC but HTTPS and the leafnode port); this file pins the whole set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { block, loadDist, resources } from './tf-json.ts';

const tf = loadDist();

const sg = (g: string) => `\${aws_security_group.sg_${g}.id}`;
const S3 = '${aws_vpc_endpoint.vpce_s3.prefix_list_id}';
const INTERNET = '0.0.0.0/0';
const LEAFNODE = '${var.hub_leafnode_port}';

/** Flows between the stack's groups: [from, to, port]. Each is an egress rule on `from` and an ingress rule on `to`. */
const FLOWS: [string, string, number][] = [
  ['runner', 'endpoints', 443],
  ['otel', 'endpoints', 443],
  ['runner', 'otel', 4318],
  ['runner', 'db', 5432],
  ['runner', 'efs', 2049],
];
/** The console's port, open on the plane's group only from each private network the customer lists. */
const CONSOLE = `${sg('runner')} from \${each.value} tcp/7480`;

/** "<group> <direction> <peer> tcp/<port>" — one line per rule, the way a reviewer reads them. */
function line(direction: string, r: Record<string, unknown>): string {
  const peers = ['referenced_security_group_id', 'prefix_list_id', 'cidr_ipv4', 'cidr_ipv6'].filter((k) => r[k] !== undefined);
  assert.equal(peers.length, 1, `one peer per rule: ${JSON.stringify(r)}`);
  assert.equal(r.from_port, r.to_port, `one port per rule: ${JSON.stringify(r)}`);
  return `${String(r.security_group_id)} ${direction} ${String(r[peers[0]])} ${String(r.ip_protocol)}/${String(r.from_port)}`;
}

test('Security groups: ingress is exactly one rule per flow, on the receiving group, from the sending group', () => {
  const want = [...FLOWS.map(([from, to, port]) => `${sg(to)} from ${sg(from)} tcp/${port}`), CONSOLE].sort();
  const got = resources(tf, 'aws_vpc_security_group_ingress_rule')
    .map(([, r]) => line('from', r))
    .sort();
  assert.deepEqual(got, want);
});

test('Security groups: egress is exactly one rule per flow, plus S3, the hub and HTTPS out — nothing else', () => {
  const want = [
    ...FLOWS.map(([from, to, port]) => `${sg(from)} to ${sg(to)} tcp/${port}`),
    // Image layers and artifacts through the S3 gateway endpoint's prefix list.
    ...['runner', 'otel'].map((g) => `${sg(g)} to ${S3} tcp/443`),
    // The only two flows that leave the VPC (the leaf is embedded in the plane's task).
    `${sg('runner')} to ${INTERNET} tcp/${LEAFNODE}`,
    `${sg('runner')} to ${INTERNET} tcp/443`,
  ].sort();
  const got = resources(tf, 'aws_vpc_security_group_egress_rule')
    .map(([, r]) => line('to', r))
    .sort();
  assert.deepEqual(got, want);
});

test('Security groups: the hub rule refuses a hub_url whose port the rule would not open', () => {
  const rule = tf.resource.aws_vpc_security_group_egress_rule.egress_runner_to_hub_leafnode;
  const pre = block(block(rule.lifecycle).precondition);
  assert.equal(pre.condition, '${!can(regex(":[0-9]+$", var.hub_url)) || endswith(var.hub_url, format(":%d", var.hub_leafnode_port))}');
  assert.match(String(pre.error_message), /hub_url .*hub_leafnode_port/);
});

/** The RE2 pattern inside `can(regex("<pattern>", <variable>))`, as a JavaScript RegExp (the two agree on this syntax). */
function regexOf(condition: string, variable: string): RegExp {
  const m = /^\$\{can\(regex\(("(?:[^"\\]|\\.)*"), (var\.[a-z_]+)\)\)\}$/.exec(condition);
  assert.ok(m, `a single can(regex(...)) check: ${condition}`);
  assert.equal(m[2], variable);
  return new RegExp(JSON.parse(m[1]) as string);
}

test('Security groups: the console rule refuses a VPC outside the private ranges the plane binds its console to', () => {
  const rule = tf.resource.aws_vpc_security_group_ingress_rule.ingress_console_from_private_networks;
  const pre = block(block(rule.lifecycle).precondition);
  const privateVpc = regexOf(String(pre.condition), 'var.vpc_cidr');
  for (const vpc of ['10.42.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '172.31.0.0/16', '192.168.0.0/16', '192.168.7.0/24']) {
    assert.ok(privateVpc.test(vpc), `${vpc} is private`);
  }
  for (const vpc of ['100.64.0.0/16', '11.0.0.0/16', '172.32.0.0/16', '172.15.0.0/16', '192.169.0.0/16', '10.0.0.0/7', '0.0.0.0/0']) {
    assert.ok(!privateVpc.test(vpc), `${vpc} is not private`);
  }
  assert.match(
    String(pre.error_message),
    /console_allowed_cidrs needs vpc_cidr inside 10\.0\.0\.0\/8, 172\.16\.0\.0\/12 or 192\.168\.0\.0\/16/,
  );
});

test('Security groups: five groups, all in the stack VPC and named after the stack', () => {
  const groups = Object.fromEntries(resources(tf, 'aws_security_group'));
  assert.deepEqual(Object.keys(groups).sort(), ['sg_db', 'sg_efs', 'sg_endpoints', 'sg_otel', 'sg_runner']);
  for (const [name, g] of Object.entries(groups)) {
    assert.equal(g.vpc_id, '${aws_vpc.vpc.id}', `${name} VPC`);
    const suffix = name.replace(/^sg_/, '');
    assert.equal(g.name, `\${local.name}-${suffix}`, `${name} name`);
    assert.deepEqual(g.tags, { Name: `\${local.name}-${suffix}` }, `${name} tags`);
  }
});

test('Security groups: every group and every rule says what it is for (what a reviewer reads in the console)', () => {
  // As checkov's CKV_AWS_23: an undescribed rule cannot be reviewed against the flow it is meant to allow.
  for (const type of ['aws_security_group', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
    for (const [name, r] of resources(tf, type)) assert.ok(String(r.description ?? '').trim().length > 0, `${type}.${name}`);
  }
  // An ingress rule and its matching egress rule carry the same reason.
  for (const [name, r] of resources(tf, 'aws_vpc_security_group_ingress_rule')) {
    // The console's rule admits people on the customer's network, not another of the stack's groups.
    if (name === 'ingress_console_from_private_networks') continue;
    const egress = tf.resource.aws_vpc_security_group_egress_rule[name.replace(/^ingress_/, 'egress_')];
    assert.ok(egress, `${name} has its egress twin`);
    assert.equal(egress.description, r.description, name);
  }
});
