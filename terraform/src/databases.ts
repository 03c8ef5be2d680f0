import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group/index.js';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group/index.js';
import { dbIdentifier, type StackContext } from './context.ts';
import type { LogGroups } from './observability.ts';

// The customer plane's own Postgres: its run ledger (`runtime` schema), approvals (`approvals`) and agent
// memory (`memory`), which the plane migrates itself at every start. Private (a subnet group over the
// private subnets, reached from the runner's security group only), encrypted with the stack's data key,
// TLS-only. The plane needs nothing else stateful from AWS: no cache, no bucket.

export interface Databases {
  db: DbInstance;
}

export interface DatabaseDeps {
  subnetIds: string[];
  dbSecurityGroupId: string;
  dataKeyArn: string;
  logs: LogGroups;
}

/** The database the plane's DATABASE_URL names, and the RDS-managed master user it logs in as. */
export const DB_NAME = 'agentplane';
export const DB_USER = 'agentplane_admin';
/**
 * The RDS CA bundle the runner image ships (image contract, terraform/README.md): DATABASE_URL names it as
 * sslrootcert, so the plane verifies the database's certificate and host name (sslmode=verify-full).
 */
export const RDS_CA_BUNDLE_PATH = '/etc/ssl/certs/rds-global-bundle.pem';

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
    dbName: DB_NAME,
    username: DB_USER,
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

  return { db };
}
