import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { TerraformIterator } from 'cdktf';
import type { StackContext } from './context.ts';
import { PRIVATE_CIDR_PATTERN } from './variables.ts';

// Every rule is its own resource so groups can reference each other without cycles, and so a reviewer
// sees one line per allowed flow. Terraform removes the AWS default allow-all egress from every group it
// creates; a group with no egress rule below therefore has no egress at all.

/** `console` is the local web console's HTTPS port (CONSOLE_PORT) on the plane's task. */
export const PORTS = { https: 443, otlpHttp: 4318, postgres: 5432, nfs: 2049, console: 7480 } as const;

export type GroupName = 'endpoints' | 'runner' | 'otel' | 'db' | 'efs';
export type SecurityGroups = Record<GroupName, SecurityGroup>;

const PURPOSE: Record<GroupName, string> = {
  endpoints: "VPC interface endpoints: HTTPS from the stack's tasks only",
  runner:
    'Customer plane: inbound only to its console from private networks; out to the database, file system, collector, HTTPS and the hub',
  otel: 'OTEL collector: OTLP from the customer plane only',
  db: 'RDS Postgres: from the customer plane only',
  efs: 'EFS state and repositories: NFS from the customer plane only',
};

export function createSecurityGroups(ctx: StackContext, vpcId: string): SecurityGroups {
  const groups = {} as SecurityGroups;
  for (const g of Object.keys(PURPOSE) as GroupName[]) {
    groups[g] = new SecurityGroup(ctx.scope, `sg_${g}`, {
      name: `${ctx.name}-${g}`,
      description: PURPOSE[g],
      vpcId,
      tags: { Name: `${ctx.name}-${g}` },
    });
  }
  return groups;
}

interface Flow {
  from: GroupName;
  to: GroupName;
  port: number;
  why: string;
}

// Flows between groups inside the VPC: each becomes an egress rule on the source and a matching ingress
// rule on the destination, so neither side is open wider than the other.
const FLOWS: Flow[] = [
  { from: 'runner', to: 'endpoints', port: PORTS.https, why: 'AWS APIs through interface endpoints' },
  { from: 'otel', to: 'endpoints', port: PORTS.https, why: 'AWS APIs through interface endpoints' },
  { from: 'runner', to: 'otel', port: PORTS.otlpHttp, why: 'metrics and traces (OTLP/HTTP)' },
  { from: 'runner', to: 'db', port: PORTS.postgres, why: 'run ledger, approvals and memory (TLS)' },
  { from: 'runner', to: 'efs', port: PORTS.nfs, why: 'state directory and repositories (TLS)' },
];

export function createSecurityGroupRules(ctx: StackContext, sg: SecurityGroups, s3PrefixListId: string): void {
  const { scope } = ctx;
  for (const f of FLOWS) {
    const id = `${f.from}_to_${f.to}_${f.port}`;
    new VpcSecurityGroupEgressRule(scope, `egress_${id}`, {
      securityGroupId: sg[f.from].id,
      referencedSecurityGroupId: sg[f.to].id,
      ipProtocol: 'tcp',
      fromPort: f.port,
      toPort: f.port,
      description: f.why,
    });
    new VpcSecurityGroupIngressRule(scope, `ingress_${id}`, {
      securityGroupId: sg[f.to].id,
      referencedSecurityGroupId: sg[f.from].id,
      ipProtocol: 'tcp',
      fromPort: f.port,
      toPort: f.port,
      description: f.why,
    });
  }

  // Image layers come from S3; the gateway endpoint's prefix list keeps that traffic on the AWS network.
  for (const g of ['runner', 'otel'] as const) {
    new VpcSecurityGroupEgressRule(scope, `egress_${g}_to_s3_${PORTS.https}`, {
      securityGroupId: sg[g].id,
      prefixListId: s3PrefixListId,
      ipProtocol: 'tcp',
      fromPort: PORTS.https,
      toPort: PORTS.https,
      description: 'S3 through the gateway endpoint (image layers)',
    });
  }

  // The only two flows that leave the VPC, both from the plane and both through the NAT: its embedded leaf
  // dials the hub; it calls HTTPS APIs (the control plane at enrollment and in routed mode, LLM providers
  // in direct mode).
  new VpcSecurityGroupEgressRule(scope, 'egress_runner_to_hub_leafnode', {
    securityGroupId: sg.runner.id,
    cidrIpv4: '0.0.0.0/0',
    ipProtocol: 'tcp',
    fromPort: ctx.vars.hubLeafnodePort.numberValue,
    toPort: ctx.vars.hubLeafnodePort.numberValue,
    description: 'Outbound leafnode connection to the vendor hub (TLS)',
    lifecycle: {
      // The rule opens hub_leafnode_port; a hub_url naming another port would fail only at run time.
      precondition: [
        {
          condition: '${!can(regex(":[0-9]+$", var.hub_url)) || endswith(var.hub_url, format(":%d", var.hub_leafnode_port))}',
          errorMessage: 'hub_url names a port different from hub_leafnode_port; the security group would block the link.',
        },
      ],
    },
  });
  new VpcSecurityGroupEgressRule(scope, 'egress_runner_to_internet_https', {
    securityGroupId: sg.runner.id,
    cidrIpv4: '0.0.0.0/0',
    ipProtocol: 'tcp',
    fromPort: PORTS.https,
    toPort: PORTS.https,
    description: 'HTTPS to the control plane (enrollment, routed LLM proxy) and LLM providers (direct)',
  });

  // The local web console, only with console_allowed_cidrs set, and only from those private networks (the
  // variable refuses public ranges). One rule per CIDR, on the console's port and nothing else.
  const consoleCidrs = TerraformIterator.fromList(ctx.vars.consoleAllowedCidrs.listValue);
  new VpcSecurityGroupIngressRule(scope, 'ingress_console_from_private_networks', {
    forEach: consoleCidrs,
    securityGroupId: sg.runner.id,
    cidrIpv4: consoleCidrs.value,
    ipProtocol: 'tcp',
    fromPort: PORTS.console,
    toPort: PORTS.console,
    description: 'Local web console (HTTPS) from an allowed private network',
    lifecycle: {
      // The plane binds its console only to a private address (console/bind-address.ts): the task's
      // address, taken from the VPC, must be one, or the plane would refuse to start with the console on.
      precondition: [
        {
          condition: `\${can(regex("${PRIVATE_CIDR_PATTERN}", var.vpc_cidr))}`,
          errorMessage:
            'console_allowed_cidrs needs vpc_cidr inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16: the console listens only on a private address.',
        },
      ],
    },
  });
}
