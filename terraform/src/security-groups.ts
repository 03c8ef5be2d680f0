import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { StackContext } from './context.ts';

// Every rule is its own resource so groups can reference each other without cycles, and so a reviewer
// sees one line per allowed flow. Terraform removes the AWS default allow-all egress from every group it
// creates; a group with no egress rule below therefore has no egress at all.

export const PORTS = { https: 443, natsClient: 4222, otlpHttp: 4318, postgres: 5432, redis: 6379, nfs: 2049 } as const;

export type GroupName = 'endpoints' | 'runner' | 'leaf' | 'otel' | 'db' | 'redis' | 'efs';
export type SecurityGroups = Record<GroupName, SecurityGroup>;

const PURPOSE: Record<GroupName, string> = {
  endpoints: "VPC interface endpoints: HTTPS from the stack's tasks only",
  runner: 'Runner tasks: no inbound; out to data stores, leaf, collector and HTTPS',
  leaf: 'NATS leaf: client connections from the runner only; out to the hub leafnode port',
  otel: 'OTEL collector: OTLP from the runner and the leaf only',
  db: 'RDS Postgres: from the runner only',
  redis: 'ElastiCache Redis: from the runner only',
  efs: 'EFS workspaces and JetStream store: NFS from the runner and the leaf only',
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
  { from: 'leaf', to: 'endpoints', port: PORTS.https, why: 'AWS APIs through interface endpoints' },
  { from: 'otel', to: 'endpoints', port: PORTS.https, why: 'AWS APIs through interface endpoints' },
  { from: 'runner', to: 'leaf', port: PORTS.natsClient, why: 'work queue, outbox and dispatch over NATS' },
  { from: 'runner', to: 'otel', port: PORTS.otlpHttp, why: 'metrics and traces (OTLP/HTTP)' },
  { from: 'leaf', to: 'otel', port: PORTS.otlpHttp, why: 'leaf metrics (OTLP/HTTP)' },
  { from: 'runner', to: 'db', port: PORTS.postgres, why: 'metadata store' },
  { from: 'runner', to: 'redis', port: PORTS.redis, why: 'rate limits and caches (TLS)' },
  { from: 'runner', to: 'efs', port: PORTS.nfs, why: 'workspace file system (TLS)' },
  { from: 'leaf', to: 'efs', port: PORTS.nfs, why: 'JetStream store (TLS)' },
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
  for (const g of ['runner', 'leaf', 'otel'] as const) {
    new VpcSecurityGroupEgressRule(scope, `egress_${g}_to_s3_${PORTS.https}`, {
      securityGroupId: sg[g].id,
      prefixListId: s3PrefixListId,
      ipProtocol: 'tcp',
      fromPort: PORTS.https,
      toPort: PORTS.https,
      description: 'S3 through the gateway endpoint (image layers, artifacts)',
    });
  }

  // The only two flows that leave the VPC. The leaf dials the hub; the runner calls HTTPS APIs (LLM
  // providers in direct mode, the vendor's LLM proxy in routed mode). Both go out through the NAT.
  new VpcSecurityGroupEgressRule(scope, 'egress_leaf_to_hub_leafnode', {
    securityGroupId: sg.leaf.id,
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
    description: 'HTTPS to LLM providers (direct) or the vendor LLM proxy (routed)',
  });
}
