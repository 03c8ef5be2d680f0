import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { Fn } from 'cdktf';
import type { StackContext } from './context.ts';

// Workloads live only in private subnets. The public subnets exist for one reason: to hold the NAT
// gateways that carry the plane's outbound link to the hub, its calls to the control plane and (in direct
// mode) LLM calls. Everything
// AWS-bound goes through VPC endpoints instead, so it never touches the internet.

/** Interface endpoints the tasks need to start and run without a route to AWS public endpoints. */
export const INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'kms', 'sts', 'elasticfilesystem'] as const;

export interface Network {
  vpc: Vpc;
  privateSubnets: Subnet[];
  publicSubnets: Subnet[];
  natIps: Eip[];
  privateRouteTables: RouteTable[];
}

// Subnet layout inside the VPC CIDR (newbits 4 → sixteen slots): private subnets take slots 0 and 1,
// public subnets slots 14 and 15, leaving the middle free for the customer's own later use.
const PRIVATE_SLOTS = [0, 1];
const PUBLIC_SLOTS = [14, 15];

export function createNetwork(ctx: StackContext, flowLog: { logGroupArn: string; roleArn: string }): Network {
  const { scope, name } = ctx;
  const vpc = new Vpc(scope, 'vpc', {
    cidrBlock: ctx.vars.vpcCidr.stringValue,
    enableDnsHostnames: true, // required for private DNS on interface endpoints
    enableDnsSupport: true,
    tags: { Name: name },
  });

  // Adopting the default security group with no rules closes it: anything accidentally launched without
  // an explicit group gets no traffic at all.
  new DefaultSecurityGroup(scope, 'default_sg', { vpcId: vpc.id, tags: { Name: `${name}-default-closed` } });

  new FlowLog(scope, 'vpc_flow_log', {
    vpcId: vpc.id,
    trafficType: 'ALL',
    logDestinationType: 'cloud-watch-logs',
    logDestination: flowLog.logGroupArn,
    iamRoleArn: flowLog.roleArn,
    maxAggregationInterval: 60,
    tags: { Name: `${name}-flow-log` },
  });

  const igw = new InternetGateway(scope, 'igw', { vpcId: vpc.id, tags: { Name: name } });

  const publicRt = new RouteTable(scope, 'public_rt', {
    vpcId: vpc.id,
    route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
    tags: { Name: `${name}-public` },
  });

  const publicSubnets: Subnet[] = [];
  const privateSubnets: Subnet[] = [];
  const natIps: Eip[] = [];
  const privateRts: RouteTable[] = [];

  ctx.azs.forEach((az, i) => {
    const suffix = String.fromCharCode(97 + i); // a, b
    const pub = new Subnet(scope, `public_${suffix}`, {
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: Fn.cidrsubnet(vpc.cidrBlock, 4, PUBLIC_SLOTS[i]),
      // The NAT gateway gets an explicit Elastic IP; nothing else may receive a public address here.
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-public-${suffix}`, 'agentplane:tier': 'public-nat-only' },
    });
    new RouteTableAssociation(scope, `public_${suffix}_rta`, { subnetId: pub.id, routeTableId: publicRt.id });

    const eip = new Eip(scope, `nat_${suffix}_eip`, { domain: 'vpc', tags: { Name: `${name}-nat-${suffix}` } });
    // One NAT per AZ so losing an AZ does not cut the other AZ's link to the hub.
    const nat = new NatGateway(scope, `nat_${suffix}`, {
      allocationId: eip.allocationId,
      subnetId: pub.id,
      connectivityType: 'public',
      tags: { Name: `${name}-nat-${suffix}` },
      dependsOn: [igw],
    });

    const priv = new Subnet(scope, `private_${suffix}`, {
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: Fn.cidrsubnet(vpc.cidrBlock, 4, PRIVATE_SLOTS[i]),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-private-${suffix}`, 'agentplane:tier': 'private' },
    });
    const rt = new RouteTable(scope, `private_${suffix}_rt`, {
      vpcId: vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }],
      tags: { Name: `${name}-private-${suffix}` },
    });
    new RouteTableAssociation(scope, `private_${suffix}_rta`, { subnetId: priv.id, routeTableId: rt.id });

    publicSubnets.push(pub);
    privateSubnets.push(priv);
    natIps.push(eip);
    privateRts.push(rt);
  });

  return { vpc, privateSubnets, publicSubnets, natIps, privateRouteTables: privateRts };
}

export function createEndpoints(ctx: StackContext, net: Network, endpointSgId: string): { s3PrefixListId: string } {
  const { scope, name } = ctx;
  // S3 as a gateway endpoint: ECR serves image layers from S3.
  const s3 = new VpcEndpoint(scope, 'vpce_s3', {
    vpcId: net.vpc.id,
    serviceName: `com.amazonaws.${ctx.region}.s3`,
    vpcEndpointType: 'Gateway',
    routeTableIds: net.privateRouteTables.map((rt) => rt.id),
    tags: { Name: `${name}-s3` },
  });
  for (const service of INTERFACE_ENDPOINTS) {
    new VpcEndpoint(scope, `vpce_${service.replace(/\./g, '_')}`, {
      vpcId: net.vpc.id,
      serviceName: `com.amazonaws.${ctx.region}.${service}`,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: net.privateSubnets.map((s) => s.id),
      securityGroupIds: [endpointSgId],
      tags: { Name: `${name}-${service}` },
    });
  }
  return { s3PrefixListId: s3.prefixListId };
}
