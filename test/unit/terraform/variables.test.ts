// Runs the stack's variable validations through the real Terraform evaluator. Only variables and locals
// are copied into a scratch module, so no provider (and no network) is needed. Skipped when no
// `terraform` binary is on PATH: the policy tests do not depend on it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadDist } from './tf-json.ts';

const run = promisify(execFile);

function findTerraform(): string | undefined {
  for (const bin of ['terraform', 'tofu']) {
    try {
      execFileSync(bin, ['version'], { stdio: 'ignore' });
      return bin;
    } catch {
      // not installed
    }
  }
  return undefined;
}
const bin = findTerraform();
const skip = bin ? false : 'terraform/tofu not on PATH';

const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/agentplane/runner@sha256:${'a'.repeat(64)}`;
const GOOD: Record<string, string> = {
  region: 'eu-west-1',
  tenant_id: '0b0e7c2a-1d3e-4f5a-8b9c-0d1e2f3a4b5c',
  hub_url: 'tls://hub.eu.agentplane.example:7422',
  control_plane_url: 'https://control.eu.agentplane.example',
  repos: '{ app = "/repos/app", "shop-api" = "/repos/shop/api" }',
  runner_image: IMAGE,
  otel_image: IMAGE,
};

let dir = '';
const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' };

before(async () => {
  if (!bin) return;
  dir = mkdtempSync(join(tmpdir(), 'agentplane-tfvars-'));
  const tf = loadDist();
  // The partition data source is replaced by a fixed value; locals that read resources are left out.
  const locals = Object.fromEntries(
    Object.entries(tf.locals)
      .map(([k, v]) => [k, v.replaceAll('${data.aws_partition.partition.partition}', 'aws')])
      .filter(([, v]) => !/\$\{[^}]*\b(aws_|data\.)/.test(v)),
  );
  const module = {
    variable: tf.variable,
    locals,
    output: {
      name: { value: '${local.name}' },
      runner_repo: { value: '${local.runner_image_repository_arn}' },
      private_a: { value: '${cidrsubnet(var.vpc_cidr, 4, 0)}' },
      repos: { value: '${local.plane_repos}' },
      // The console rule's precondition, evaluated as a value (a precondition itself needs the provider).
      console_vpc_ok: {
        value: (
          tf.resource.aws_vpc_security_group_ingress_rule.ingress_console_from_private_networks.lifecycle as {
            precondition: { condition: string }[];
          }
        ).precondition[0].condition,
      },
    },
  };
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(module));
  await run(bin, ['init', '-input=false', '-no-color'], { cwd: dir, env });
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function plan(overrides: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const vars = { ...GOOD, ...overrides };
  const args = ['plan', '-input=false', '-no-color', '-refresh=false', '-lock=false'];
  for (const [k, v] of Object.entries(vars)) args.push('-var', `${k}=${v}`);
  try {
    const { stdout } = await run(bin as string, args, { cwd: dir, env });
    return { ok: true, out: stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

test('valid inputs pass and derive the expected names and ARNs', { skip }, async () => {
  const r = await plan({});
  assert.ok(r.ok, r.out);
  assert.match(r.out, /name\s+= "ap-0b0e7c2a-1d3e-4f5a-8b9c-0d1e2f3a4b5c"/);
  assert.match(r.out, /runner_repo\s+= "arn:aws:ecr:eu-west-1:123456789012:repository\/agentplane\/runner"/);
  assert.match(r.out, /private_a\s+= "10\.42\.0\.0\/20"/);
  // REPOS as the plane parses it: alias=/absolute/path pairs, comma-separated.
  assert.match(r.out, /repos\s+= "app=\/repos\/app,shop-api=\/repos\/shop\/api"/);
});

test('the console needs the VPC in a private range, where the plane will bind it', { skip }, async () => {
  assert.match((await plan({})).out, /console_vpc_ok\s+= true/);
  for (const vpc of ['100.64.0.0/16', '11.0.0.0/16']) assert.match((await plan({ vpc_cidr: vpc })).out, /console_vpc_ok\s+= false/, vpc);
  assert.match((await plan({ vpc_cidr: '172.20.0.0/16' })).out, /console_vpc_ok\s+= true/);
});

test('the console may be opened only from private networks', { skip }, async () => {
  const ok = await plan({ console_allowed_cidrs: '["10.20.0.0/16", "172.16.4.0/24", "192.168.1.0/24"]' });
  assert.ok(ok.ok, ok.out);
  for (const cidrs of [
    '["0.0.0.0/0"]',
    '["8.8.8.0/24"]',
    '["10.0.0.0/7"]',
    '["172.32.0.0/16"]',
    '["10.20.0.0/16", "52.1.0.0/16"]',
    '["::/0"]',
  ]) {
    const r = await plan({ console_allowed_cidrs: cidrs });
    assert.equal(r.ok, false, `${cidrs} should be rejected`);
    assert.ok(r.out.includes('console_allowed_cidrs must list private IPv4 CIDRs'), `${cidrs}:\n${r.out}`);
  }
});

const REJECTED: [string, string, string][] = [
  ['tenant_id', 'Tenant One', 'tenant_id must be'],
  // The plane's config takes a UUID only: a ULID would pass plan and stop the plane at start.
  ['tenant_id', '01HZX3J5Q8V7K2M4N6P8R0T2W4', 'tenant_id must be'],
  ['control_plane_url', 'http://control.example.com', 'control_plane_url must be'],
  ['control_plane_url', 'control.example.com', 'control_plane_url must be'],
  ['repos', '{}', 'repos must map'],
  ['repos', '{ app = "/srv/app" }', 'repos must map'],
  ['repos', '{ app = "/repos/../etc" }', 'repos must map'],
  ['repos', '{ App = "/repos/app" }', 'repos must map'],
  ['hub_url', 'nats://hub.example:7422', 'plaintext nats:// is refused'],
  ['vpc_cidr', '10.0.0.0/8', 'vpc_cidr must be'],
  ['vpc_cidr', '10.0.0.300/16', 'vpc_cidr must be'],
  ['runner_image', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/agentplane/runner:latest', 'tags are not accepted'],
  ['otel_image', `docker.io/library/otel@sha256:${'b'.repeat(64)}`, 'otel_image must be'],
  ['llm_mode', 'proxy', 'llm_mode must be'],
  ['log_retention_days', '10', 'log_retention_days must be'],
  ['backup_retention_days', '1', 'backup_retention_days must be'],
  ['runner_cpu', '300', 'runner_cpu must be'],
  ['hub_leafnode_port', '80', 'hub_leafnode_port must be'],
];

test('invalid inputs are rejected at plan time with a message naming the variable', { skip }, async () => {
  const results = await Promise.all(REJECTED.map(([k, v]) => plan({ [k]: v })));
  results.forEach((r, i) => {
    const [k, v, msg] = REJECTED[i];
    assert.equal(r.ok, false, `${k}=${v} should be rejected`);
    assert.ok(r.out.includes(msg), `${k}=${v}: expected "${msg}" in\n${r.out}`);
  });
});
