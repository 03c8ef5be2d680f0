import { EcsTaskDefinition, type EcsTaskDefinitionVolume } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import type { StackContext } from './context.ts';
import { WORKLOAD_GID, WORKLOAD_UID } from './storage.ts';

// Task definitions. The container definitions are written as plain JSON with Terraform interpolations in
// string values only, so the reviewer (and the policy tests) can read them as JSON in the output.

/**
 * Contract with the vendor images: each ships this executable, which exits 0 when the process inside is
 * ready (runner: connected to leaf and database; leaf: hub link up; collector: pipeline running).
 */
export const HEALTHCHECK_COMMAND = ['CMD', '/usr/local/bin/agentplane-healthcheck'];

export interface ContainerSpec {
  service: 'runner' | 'leaf' | 'otel';
  image: string;
  cpu: string;
  memory: string;
  executionRoleArn: string;
  taskRoleArn: string;
  logGroupName: string;
  environment: Record<string, string>;
  /** name → Secrets Manager ARN, injected by ECS at start. */
  secrets?: Record<string, string>;
  command?: string[];
  portMappings?: number[];
  efs?: { name: string; fileSystemId: string; accessPointId: string; containerPath: string };
  /**
   * Seconds between SIGTERM and SIGKILL. The process drains in that time: the runner stops taking work
   * and nacks what it has not started, the leaf flushes its outbox, the collector exports its buffer.
   * 120 is the Fargate maximum and also the Spot interruption notice.
   */
  stopTimeout: number;
}

export function createTaskDefinition(ctx: StackContext, spec: ContainerSpec): EcsTaskDefinition {
  const mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[] = [
    // The root filesystem is read-only; /tmp is a task-local scratch volume on Fargate ephemeral storage.
    { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
  ];
  const volumes: EcsTaskDefinitionVolume[] = [{ name: 'tmp' }];
  if (spec.efs) {
    mountPoints.push({ sourceVolume: spec.efs.name, containerPath: spec.efs.containerPath, readOnly: false });
    volumes.push({
      name: spec.efs.name,
      efsVolumeConfiguration: {
        fileSystemId: spec.efs.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: spec.efs.accessPointId, iam: 'ENABLED' },
      },
    });
  }

  const container = {
    name: spec.service,
    image: spec.image,
    essential: true,
    user: `${WORKLOAD_UID}:${WORKLOAD_GID}`,
    readonlyRootFilesystem: true,
    privileged: false,
    linuxParameters: {
      // A tiny init as PID 1 forwards SIGTERM to the process and reaps children (the runner spawns tools).
      initProcessEnabled: true,
      capabilities: { drop: ['ALL'] },
    },
    command: spec.command,
    environment: Object.entries(spec.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    secrets: Object.entries(spec.secrets ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, valueFrom]) => ({ name, valueFrom })),
    portMappings: (spec.portMappings ?? []).map((containerPort) => ({ containerPort, protocol: 'tcp' })),
    mountPoints,
    healthCheck: { command: HEALTHCHECK_COMMAND, interval: 30, timeout: 5, retries: 3, startPeriod: 60 },
    stopTimeout: spec.stopTimeout,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': spec.logGroupName,
        'awslogs-region': ctx.region,
        'awslogs-stream-prefix': spec.service,
        // A stalled log pipeline must not block the process (it would stop draining on SIGTERM).
        mode: 'non-blocking',
        'max-buffer-size': '25m',
      },
    },
  };

  return new EcsTaskDefinition(ctx.scope, `${spec.service}_task_definition`, {
    family: `${ctx.name}-${spec.service}`,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: spec.cpu,
    memory: spec.memory,
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: spec.executionRoleArn,
    taskRoleArn: spec.taskRoleArn,
    volume: volumes,
    containerDefinitions: JSON.stringify([container]),
  });
}
