import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group/index.js';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group/index.js';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group/index.js';
import { dbIdentifier, type StackContext } from './context.ts';
import type { LogGroups } from './observability.ts';

// The metadata database and the cache. Both private (subnet groups over the private subnets only, reached
// from the runner's security group only), both encrypted with the stack's data key, both TLS-only.

export interface Databases {
  db: DbInstance;
  redis: ElasticacheReplicationGroup;
}

export interface DatabaseDeps {
  subnetIds: string[];
  dbSecurityGroupId: string;
  redisSecurityGroupId: string;
  dataKeyArn: string;
  logs: LogGroups;
  redisAuthToken: string;
}

const POSTGRES_MAJOR = '16';

export function createDatabases(ctx: StackContext, d: DatabaseDeps): Databases {
  const { scope, name, vars } = ctx;

  const dbSubnets = new DbSubnetGroup(scope, 'db_subnets', {
    name: `${name}-db`,
    subnetIds: d.subnetIds,
    description: 'Private subnets of the agentplane customer plane',
  });
  const params = new DbParameterGroup(scope, 'db_params', {
    name: `${name}-postgres${POSTGRES_MAJOR}`,
    family: `postgres${POSTGRES_MAJOR}`,
    description: 'TLS-only connections; connection and DDL logging for the audit trail',
    parameter: [
      { name: 'rds.force_ssl', value: '1' },
      { name: 'log_connections', value: '1' },
      { name: 'log_disconnections', value: '1' },
      { name: 'log_statement', value: 'ddl' },
    ],
  });

  const identifier = dbIdentifier(ctx);
  const db = new DbInstance(scope, 'db', {
    identifier,
    engine: 'postgres',
    // Major version only: AWS applies minor versions in the maintenance window (autoMinorVersionUpgrade),
    // and Terraform does not report the patched version as drift.
    engineVersion: POSTGRES_MAJOR,
    autoMinorVersionUpgrade: true,
    allowMajorVersionUpgrade: false,
    instanceClass: vars.dbInstanceClass.stringValue,
    allocatedStorage: vars.dbAllocatedStorageGb.numberValue,
    maxAllocatedStorage: vars.dbMaxAllocatedStorageGb.numberValue,
    storageType: 'gp3',
    storageEncrypted: true,
    kmsKeyId: d.dataKeyArn,
    dbName: 'agentplane',
    username: 'agentplane_admin',
    // RDS generates the master password and keeps it in Secrets Manager; it never appears in state.
    manageMasterUserPassword: true,
    masterUserSecretKmsKeyId: d.dataKeyArn,
    iamDatabaseAuthenticationEnabled: true,
    dbSubnetGroupName: dbSubnets.name,
    vpcSecurityGroupIds: [d.dbSecurityGroupId],
    publiclyAccessible: false,
    parameterGroupName: params.name,
    caCertIdentifier: 'rds-ca-rsa2048-g1',
    multiAz: vars.dbMultiAz.booleanValue,
    backupRetentionPeriod: vars.backupRetentionDays.numberValue,
    backupWindow: '02:00-03:00',
    maintenanceWindow: 'sun:03:30-sun:04:30',
    copyTagsToSnapshot: true,
    deleteAutomatedBackups: true,
    deletionProtection: vars.deletionProtection.booleanValue,
    // A final snapshot is taken on destroy. It is the one thing that outlives the stack, on purpose: it is
    // the customer's data, and deleting it must be a deliberate act outside Terraform.
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: `${identifier}-final`,
    enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: d.dataKeyArn,
    performanceInsightsRetentionPeriod: 7,
    // The export targets must exist first, or RDS creates them unencrypted and without retention.
    dependsOn: [d.logs.rdsPostgresql, d.logs.rdsUpgrade],
  });

  const redisSubnets = new ElasticacheSubnetGroup(scope, 'redis_subnets', {
    name: `${name}-redis`,
    subnetIds: d.subnetIds,
    description: 'Private subnets of the agentplane customer plane',
  });
  const redis = new ElasticacheReplicationGroup(scope, 'redis', {
    replicationGroupId: name,
    description: 'agentplane customer plane: rate limits and caches',
    engine: 'redis',
    engineVersion: '7.1',
    nodeType: vars.redisNodeType.stringValue,
    port: 6379,
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    subnetGroupName: redisSubnets.name,
    securityGroupIds: [d.redisSecurityGroupId],
    atRestEncryptionEnabled: 'true',
    kmsKeyId: d.dataKeyArn,
    transitEncryptionEnabled: true,
    transitEncryptionMode: 'required',
    authToken: d.redisAuthToken,
    autoMinorVersionUpgrade: 'true',
    maintenanceWindow: 'sun:04:30-sun:05:30',
    snapshotRetentionLimit: 1,
    snapshotWindow: '01:00-02:00',
    applyImmediately: false,
    // No slow-log delivery: ElastiCache log delivery makes AWS add an account-wide CloudWatch Logs
    // resource policy outside Terraform, which would outlive the stack.
  });

  return { db, redis };
}
