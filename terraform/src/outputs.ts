import type { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import type { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js';
import { TerraformOutput } from 'cdktf';
import type { Cluster } from './compute.ts';
import type { StackContext } from './context.ts';
import type { Keys } from './keys.ts';
import type { Network } from './network.ts';
import type { LogGroups } from './observability.ts';
import type { Secrets } from './secrets.ts';
import type { Storage } from './storage.ts';

// Only identifiers the customer needs after apply: where to put secret values, what to give the vendor
// (the NAT addresses for the hub's allow list), and where to look. Nothing here is a secret value.

export function createOutputs(
  ctx: StackContext,
  r: {
    net: Network;
    cluster: Cluster;
    db: DbInstance;
    redis: ElasticacheReplicationGroup;
    storage: Storage;
    secrets: Secrets;
    logs: LogGroups;
    keys: Keys;
  },
): void {
  const out = (id: string, value: unknown, description: string) =>
    new TerraformOutput(ctx.scope, id, { value, description, sensitive: false });

  out('name_prefix', ctx.name, 'Prefix of every named resource of this stack.');
  out('vpc_id', r.net.vpc.id, 'VPC of the customer plane.');
  out(
    'private_subnet_ids',
    r.net.privateSubnets.map((s) => s.id),
    'Private subnets where every workload runs.',
  );
  out(
    'nat_public_ips',
    r.net.natIps.map((e) => e.publicIp),
    "Source addresses of all outbound traffic. Give these to the vendor for the hub's leafnode allow list.",
  );
  out('ecs_cluster_name', r.cluster.cluster.name, 'ECS cluster running the runner, leaf and collector.');
  out('artifacts_bucket', r.storage.bucket.bucket, 'S3 bucket for workflow artifacts.');
  out('efs_file_system_id', r.storage.fs.id, "EFS file system holding workspaces and the leaf's JetStream store.");
  out('db_endpoint', r.db.address, 'Private address of the metadata database.');
  out('db_master_secret_arn', r.db.masterUserSecret.get(0).secretArn, 'ARN of the RDS-managed master credentials secret (rotated by RDS).');
  out('redis_endpoint', r.redis.primaryEndpointAddress, 'Private TLS endpoint of the Redis replication group.');
  out('leaf_credentials_secret_arn', r.secrets.leafCredentials.arn, 'Put the NATS leaf credentials from the vendor here after apply.');
  out(
    'telemetry_signing_key_secret_arn',
    r.secrets.telemetrySigningKey.arn,
    "Put the tenant's Ed25519 signing key (from enrollment) here after apply.",
  );
  out('llm_provider_keys_secret_arn', r.secrets.byokArn, 'Put your LLM provider keys here (llm_mode = "direct"); empty in routed mode.');
  out('data_kms_key_arn', r.keys.data.arn, "Customer-managed KMS key encrypting the stack's data at rest.");
  out('logs_kms_key_arn', r.keys.logs.arn, "Customer-managed KMS key encrypting the stack's log groups.");
  out(
    'log_group_names',
    Object.fromEntries(Object.entries(r.logs).map(([k, g]) => [k, g.name])),
    'CloudWatch log groups of the stack, by purpose.',
  );
}
