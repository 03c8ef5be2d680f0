import { AppautoscalingScheduledAction } from '@cdktf/provider-aws/lib/appautoscaling-scheduled-action/index.js';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target/index.js';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster/index.js';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers/index.js';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service/index.js';
import type { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { ServiceDiscoveryPrivateDnsNamespace } from '@cdktf/provider-aws/lib/service-discovery-private-dns-namespace/index.js';
import { ServiceDiscoveryService } from '@cdktf/provider-aws/lib/service-discovery-service/index.js';
import { conditional, type ITerraformDependable, TerraformCount, Token } from 'cdktf';
import { clusterName, type StackContext } from './context.ts';
import type { LogGroups } from './observability.ts';

export interface Cluster {
  cluster: EcsCluster;
  capacityProviders: EcsClusterCapacityProviders;
  namespace: ServiceDiscoveryPrivateDnsNamespace;
  /** DNS names inside the VPC: the collector (for the plane's OTLP export) and the plane's console. */
  otelHost: string;
  consoleHost: string;
  otelDiscovery: ServiceDiscoveryService;
  consoleDiscovery: ServiceDiscoveryService;
}

export function createCluster(ctx: StackContext, vpcId: string, logs: LogGroups): Cluster {
  const { scope, name } = ctx;
  const cluster = new EcsCluster(scope, 'cluster', {
    name: clusterName(ctx),
    setting: [{ name: 'containerInsights', value: 'enabled' }],
    // Container Insights writes to a log group named after the cluster; it exists (encrypted, with
    // retention) before the cluster does.
    dependsOn: [logs.containerInsights],
  });
  const capacityProviders = new EcsClusterCapacityProviders(scope, 'cluster_capacity_providers', {
    clusterName: cluster.name,
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
  });

  // Private DNS inside the VPC only: the collector and the plane's console are found by name, never exposed.
  const namespace = new ServiceDiscoveryPrivateDnsNamespace(scope, 'namespace', {
    name: `${name}.agentplane.internal`,
    vpc: vpcId,
    description: 'Service discovery for the agentplane customer plane',
  });
  const discovery = (svc: string) =>
    new ServiceDiscoveryService(scope, `discovery_${svc}`, {
      name: svc,
      // Instances registered by ECS are deregistered by ECS; this only keeps destroy from failing on a
      // leftover registration if a task was still stopping.
      forceDestroy: true,
      dnsConfig: {
        namespaceId: namespace.id,
        routingPolicy: 'MULTIVALUE',
        dnsRecords: [{ type: 'A', ttl: 10 }],
      },
      healthCheckCustomConfig: { failureThreshold: 1 },
    });
  const otelDiscovery = discovery('otel');
  const consoleDiscovery = discovery('console');
  return {
    cluster,
    capacityProviders,
    namespace,
    otelHost: `otel.${namespace.name}`,
    consoleHost: `console.${namespace.name}`,
    otelDiscovery,
    consoleDiscovery,
  };
}

export interface ServiceSpec {
  service: 'runner' | 'otel';
  taskDefinition: EcsTaskDefinition;
  desiredCount: number;
  subnetIds: string[];
  securityGroupId: string;
  /**
   * Whether the service tolerates Fargate Spot interruptions (two minutes' notice, then SIGTERM). The
   * collector does. The plane does not: it is one task holding the outbox, the hub link and the runs in
   * flight, so it stays on regular Fargate.
   */
  spot: boolean;
  /**
   * The plane is the single writer of its state directory (JetStream store, egress sequence, audit log):
   * a replacement must not overlap the old task.
   */
  singleWriter?: boolean;
  registryArn?: string;
  /** Resources the tasks need at start (EFS mount targets) that the service does not otherwise reference. */
  dependsOn?: ITerraformDependable[];
}

export function createService(ctx: StackContext, cluster: Cluster, spec: ServiceSpec): EcsService {
  const { scope, name } = ctx;
  const svc = new EcsService(scope, `${spec.service}_service`, {
    name: `${name}-${spec.service}`,
    cluster: cluster.cluster.arn,
    taskDefinition: spec.taskDefinition.arn,
    desiredCount: spec.desiredCount,
    capacityProviderStrategy: spec.spot
      ? [
          // One task always on regular Fargate so a Spot capacity shortage never stops the service.
          { capacityProvider: 'FARGATE', weight: 1, base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
        ]
      : [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    platformVersion: 'LATEST',
    networkConfiguration: {
      subnets: spec.subnetIds,
      securityGroups: [spec.securityGroupId],
      assignPublicIp: false,
    },
    deploymentMinimumHealthyPercent: spec.singleWriter ? 0 : 100,
    deploymentMaximumPercent: spec.singleWriter ? 100 : 200,
    deploymentCircuitBreaker: { enable: true, rollback: true },
    enableExecuteCommand: false,
    enableEcsManagedTags: true,
    propagateTags: 'SERVICE',
    serviceRegistries: spec.registryArn ? { registryArn: spec.registryArn } : undefined,
    waitForSteadyState: false,
    // A service naming FARGATE_SPOT fails to create before the cluster has that capacity provider.
    dependsOn: [cluster.capacityProviders, ...(spec.dependsOn ?? [])],
  });
  scheduleOffHours(ctx, spec.service, svc, spec.desiredCount);
  return svc;
}

// Optional scale-to-zero outside business hours: a scalable target plus two scheduled actions per
// service, all created only when scale_to_zero_off_hours is true.
function scheduleOffHours(ctx: StackContext, service: string, svc: EcsService, desired: number): void {
  const { scope, vars } = ctx;
  const count = () => TerraformCount.of(Token.asNumber(conditional(vars.scaleToZeroOffHours.booleanValue, 1, 0)));
  const resourceId = `service/${clusterName(ctx)}/${svc.name}`;
  const target = new AppautoscalingTarget(scope, `${service}_scaling_target`, {
    count: count(),
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId,
    minCapacity: 0,
    maxCapacity: desired,
  });
  const action = (id: string, schedule: string, capacity: number) =>
    new AppautoscalingScheduledAction(scope, `${service}_${id}`, {
      count: count(),
      name: `${ctx.name}-${service}-${id.replace(/_/g, '-')}`,
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId,
      schedule,
      timezone: vars.businessHoursTimezone.stringValue,
      scalableTargetAction: { minCapacity: Token.asString(capacity), maxCapacity: Token.asString(capacity) },
      dependsOn: [target],
    });
  action('scale_up', vars.businessHoursStart.stringValue, desired);
  action('scale_down', vars.businessHoursEnd.stringValue, 0);
}
