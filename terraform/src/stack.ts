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
import { consoleEnabled, createSecrets, withConsoleTls } from './secrets.ts';
import { planeEnvironment, REPOS_DIR, RUNTIME_DIR, STATE_DIR } from './plane-env.ts';
import { createSecurityGroupRules, createSecurityGroups, PORTS } from './security-groups.ts';
import { otelTaskStatements, runnerTaskStatements } from './service-policies.ts';
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
    const { db } = createDatabases(ctx, {
      subnetIds: privateSubnetIds,
      dbSecurityGroupId: sg.db.id,
      dataKeyArn: keys.data.arn,
      logs,
    });
    const storage = createStorage(ctx, { subnetIds: privateSubnetIds, efsSecurityGroupId: sg.efs.id, dataKeyArn: keys.data.arn });
    const cluster = createCluster(ctx, net.vpc.id, logs);
    const dbSecretArn = db.masterUserSecret.get(0).secretArn;
    const plane = planeEnvironment(ctx, { db, secrets, cluster });

    // --- the customer plane (runner image): one task running the runner, egress, its embedded NATS leaf
    // (which dials the hub and holds the JetStream outbox and work queue in STATE_DIR) and the console.
    const runnerRoles = createServiceRoles(ctx, {
      service: 'runner',
      image: vars.runnerImage,
      logGroupArn: logs.runner.arn,
      // What ECS injects: the enrollment token (the code reads it from its environment only). Everything
      // else the plane reads from Secrets Manager itself, with its task role: the database password too,
      // at each new connection, so RDS's rotation of it needs no restart.
      injectedSecretArns: withConsoleTls(secrets, [secrets.enrollToken.arn]),
      dataKeyArn: keys.data.arn,
      taskStatements: runnerTaskStatements(ctx, { secrets, storage, dataKeyArn: keys.data.arn, dbSecretArn }),
    });
    const runnerTask = createTaskDefinition(ctx, {
      service: 'runner',
      image: vars.runnerImage.stringValue,
      cpu: vars.runnerCpu.stringValue,
      memory: vars.runnerMemoryMb.stringValue,
      executionRoleArn: runnerRoles.execution.arn,
      taskRoleArn: runnerRoles.task.arn,
      logGroupName: logs.runner.name,
      environment: plane.environment,
      secrets: { ENROLL_TOKEN: secrets.enrollToken.arn },
      variant: {
        name: 'console',
        when: consoleEnabled(ctx),
        environment: plane.console,
        secrets: {
          AGENTPLANE_CONSOLE_TLS_CERT: secrets.consoleTlsCert.arn,
          AGENTPLANE_CONSOLE_TLS_KEY: secrets.consoleTlsKey.arn,
        },
      },
      efs: [
        { name: 'state', fileSystemId: storage.fs.id, accessPointId: storage.stateAccessPoint.id, containerPath: STATE_DIR },
        {
          name: 'repos',
          fileSystemId: storage.fs.id,
          accessPointId: storage.reposAccessPoint.id,
          containerPath: REPOS_DIR,
          readOnly: true,
        },
      ],
      scratch: [RUNTIME_DIR],
      portMappings: [PORTS.console],
      stopTimeout: 120,
    });
    createService(ctx, cluster, {
      service: 'runner',
      taskDefinition: runnerTask,
      desiredCount: 1,
      subnetIds: privateSubnetIds,
      securityGroupId: sg.runner.id,
      spot: false,
      singleWriter: true,
      registryArn: cluster.consoleDiscovery.arn,
      dependsOn: storage.mountTargets,
    });

    // --- OTEL collector: receives OTLP from the plane, writes metrics to the customer's CloudWatch.
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

    createOutputs(ctx, { net, cluster, db, storage, secrets, logs, keys });
  }
}
