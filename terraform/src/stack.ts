import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Fn, TerraformLocal, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { createCluster, createService } from './compute.ts';
import { createTaskDefinition } from './containers.ts';
import type { StackContext } from './context.ts';
import { createDatabases } from './databases.ts';
import { createFlowLogRole, createServiceRoles } from './iam.ts';
import { createKeys } from './keys.ts';
import { createEndpoints, createNetwork } from './network.ts';
import { createLogGroups } from './observability.ts';
import { createOutputs } from './outputs.ts';
import { createSecrets } from './secrets.ts';
import { createSecurityGroupRules, createSecurityGroups, PORTS } from './security-groups.ts';
import { leafTaskStatements, otelTaskStatements, runnerTaskStatements } from './service-policies.ts';
import { createStorage } from './storage.ts';
import { defineVariables } from './variables.ts';

export const STACK_NAME = 'customer-plane';
/** Provider release the bindings were generated from; the constraint allows later 6.x patch/minor releases. */
export const AWS_PROVIDER_CONSTRAINT = '>= 6.25.0, < 7.0.0';
export const TERRAFORM_VERSION_CONSTRAINT = '>= 1.7.0';

export class CustomerPlaneStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const vars = defineVariables(this);

    new AwsProvider(this, 'aws', {
      region: vars.region.stringValue,
      // Tags on every taggable resource: the customer can find (and bill, and audit) all of the stack.
      defaultTags: [
        {
          tags: Fn.merge([
            vars.extraTags.value,
            {
              'agentplane:stack': STACK_NAME,
              'agentplane:tenant': vars.tenantId.stringValue,
              'agentplane:managed-by': 'terraform',
            },
          ]) as unknown as Record<string, string>,
        },
      ],
    });

    const partition = new DataAwsPartition(this, 'partition');
    const caller = new DataAwsCallerIdentity(this, 'caller');
    const azs = new DataAwsAvailabilityZones(this, 'azs', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
    const name = new TerraformLocal(this, 'name', `ap-\${lower(var.tenant_id)}`);

    const ctx: StackContext = {
      scope: this,
      vars,
      name: name.asString,
      partition: partition.partition,
      accountId: caller.accountId,
      region: vars.region.stringValue,
      azs: [Fn.element(azs.names, 0), Fn.element(azs.names, 1)],
    };

    const keys = createKeys(ctx);
    const logs = createLogGroups(ctx, keys.logs.arn);
    const flowLogRole = createFlowLogRole(ctx, logs.flow.arn);
    const net = createNetwork(ctx, { logGroupArn: logs.flow.arn, roleArn: flowLogRole.arn });
    const sg = createSecurityGroups(ctx, net.vpc.id);
    const { s3PrefixListId } = createEndpoints(ctx, net, sg.endpoints.id);
    createSecurityGroupRules(ctx, sg, s3PrefixListId);
    const privateSubnetIds = net.privateSubnets.map((s) => s.id);

    const secrets = createSecrets(ctx, keys.data.arn);
    const { db, redis } = createDatabases(ctx, {
      subnetIds: privateSubnetIds,
      dbSecurityGroupId: sg.db.id,
      redisSecurityGroupId: sg.redis.id,
      dataKeyArn: keys.data.arn,
      logs,
      redisAuthToken: secrets.redisAuthTokenVersion.secretString,
    });
    const storage = createStorage(ctx, { subnetIds: privateSubnetIds, efsSecurityGroupId: sg.efs.id, dataKeyArn: keys.data.arn });
    const cluster = createCluster(ctx, net.vpc.id, logs);
    const dbSecretArn = db.masterUserSecret.get(0).secretArn;

    // --- runner: takes work from the leaf's JetStream queue, runs agents in EFS workspaces.
    const runnerRoles = createServiceRoles(ctx, {
      service: 'runner',
      image: vars.runnerImage,
      logGroupArn: logs.runner.arn,
      injectedSecretArns: [],
      dataKeyArn: keys.data.arn,
      taskStatements: runnerTaskStatements(ctx, { secrets, dbSecretArn, storage, dataKeyArn: keys.data.arn }),
    });
    const runnerTask = createTaskDefinition(ctx, {
      service: 'runner',
      image: vars.runnerImage.stringValue,
      cpu: vars.runnerCpu.stringValue,
      memory: vars.runnerMemoryMb.stringValue,
      executionRoleArn: runnerRoles.execution.arn,
      taskRoleArn: runnerRoles.task.arn,
      logGroupName: logs.runner.name,
      // Secrets are passed by ARN and read at use with the task role, so a value is never in the task's
      // environment (where a child process or a crash dump could see it).
      environment: {
        AGENTPLANE_TENANT_ID: vars.tenantId.stringValue,
        AGENTPLANE_LLM_MODE: vars.llmMode.stringValue,
        AWS_REGION: ctx.region,
        NATS_URL: `nats://${cluster.leafHost}:${PORTS.natsClient}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${cluster.otelHost}:${PORTS.otlpHttp}`,
        DATABASE_HOST: db.address,
        DATABASE_PORT: '5432',
        DATABASE_NAME: 'agentplane',
        DATABASE_SSLMODE: 'verify-full',
        DATABASE_SECRET_ARN: dbSecretArn,
        REDIS_URL: `rediss://${redis.primaryEndpointAddress}:${PORTS.redis}`,
        REDIS_AUTH_SECRET_ARN: secrets.redisAuthToken.arn,
        ARTIFACTS_BUCKET: storage.bucket.bucket,
        TELEMETRY_SIGNING_KEY_SECRET_ARN: secrets.telemetrySigningKey.arn,
        LLM_PROVIDER_KEYS_SECRET_ARN: secrets.byokArn,
        WORKSPACE_ROOT: '/workspaces',
      },
      efs: {
        name: 'workspaces',
        fileSystemId: storage.fs.id,
        accessPointId: storage.workspaceAccessPoint.id,
        containerPath: '/workspaces',
      },
      stopTimeout: 120,
    });
    createService(ctx, cluster, {
      service: 'runner',
      taskDefinition: runnerTask,
      desiredCount: vars.runnerDesiredCount.numberValue,
      subnetIds: privateSubnetIds,
      securityGroupId: sg.runner.id,
      spot: true,
      dependsOn: storage.mountTargets,
    });

    // --- NATS leaf: dials out to the hub, keeps the outbox on EFS, serves the runner inside the VPC.
    const leafRoles = createServiceRoles(ctx, {
      service: 'leaf',
      image: vars.leafImage,
      logGroupArn: logs.leaf.arn,
      injectedSecretArns: [secrets.leafCredentials.arn],
      dataKeyArn: keys.data.arn,
      taskStatements: leafTaskStatements(ctx, storage),
    });
    const leafTask = createTaskDefinition(ctx, {
      service: 'leaf',
      image: vars.leafImage.stringValue,
      cpu: vars.leafCpu.stringValue,
      memory: vars.leafMemoryMb.stringValue,
      executionRoleArn: leafRoles.execution.arn,
      taskRoleArn: leafRoles.task.arn,
      logGroupName: logs.leaf.name,
      environment: {
        AGENTPLANE_TENANT_ID: vars.tenantId.stringValue,
        NATS_HUB_URL: vars.hubUrl.stringValue,
        NATS_CLIENT_PORT: String(PORTS.natsClient),
        NATS_JETSTREAM_DIR: '/jetstream',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${cluster.otelHost}:${PORTS.otlpHttp}`,
      },
      secrets: { NATS_LEAF_CREDENTIALS: secrets.leafCredentials.arn },
      portMappings: [PORTS.natsClient],
      efs: {
        name: 'jetstream',
        fileSystemId: storage.fs.id,
        accessPointId: storage.jetstreamAccessPoint.id,
        containerPath: '/jetstream',
      },
      stopTimeout: 60,
    });
    createService(ctx, cluster, {
      service: 'leaf',
      taskDefinition: leafTask,
      desiredCount: 1,
      subnetIds: privateSubnetIds,
      securityGroupId: sg.leaf.id,
      spot: false,
      singleWriter: true,
      registryArn: cluster.leafDiscovery.arn,
      dependsOn: storage.mountTargets,
    });

    // --- OTEL collector: receives OTLP from the runner and leaf, writes metrics to the customer's CloudWatch.
    const otelRoles = createServiceRoles(ctx, {
      service: 'otel',
      image: vars.otelImage,
      logGroupArn: logs.otel.arn,
      injectedSecretArns: [],
      dataKeyArn: keys.data.arn,
      taskStatements: otelTaskStatements(ctx, logs.metrics.arn),
    });
    const otelTask = createTaskDefinition(ctx, {
      service: 'otel',
      image: vars.otelImage.stringValue,
      cpu: vars.otelCpu.stringValue,
      memory: vars.otelMemoryMb.stringValue,
      executionRoleArn: otelRoles.execution.arn,
      taskRoleArn: otelRoles.task.arn,
      logGroupName: logs.otel.name,
      environment: {
        AWS_REGION: ctx.region,
        OTLP_HTTP_PORT: String(PORTS.otlpHttp),
        METRICS_LOG_GROUP: logs.metrics.name,
      },
      portMappings: [PORTS.otlpHttp],
      stopTimeout: 30,
    });
    createService(ctx, cluster, {
      service: 'otel',
      taskDefinition: otelTask,
      desiredCount: 1,
      subnetIds: privateSubnetIds,
      securityGroupId: sg.otel.id,
      spot: true,
      registryArn: cluster.otelDiscovery.arn,
    });

    createOutputs(ctx, { net, cluster, db, redis, storage, secrets, logs, keys });
  }
}
