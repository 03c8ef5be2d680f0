import { EcsTaskDefinition, type EcsTaskDefinitionVolume } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { Fn, TerraformLocal } from 'cdktf';
import type { StackContext } from './context.ts';
import { WORKLOAD_GID, WORKLOAD_UID } from './storage.ts';

// Task definitions. The container definitions are written as plain JSON with Terraform interpolations in
// string values only, so the reviewer (and the policy tests) can read them as JSON in the output.

/**
 * Contract with the vendor images: each ships this executable, which exits 0 when the process inside is
 * ready (runner: the customer plane started — database migrated, leaf linked, runner taking work; collector:
 * pipeline running).
 */
export const HEALTHCHECK_COMMAND = ['CMD', '/usr/local/bin/agentplane-healthcheck'];

export interface ContainerSpec {
  service: 'runner' | 'otel';
  image: string;
  cpu: string;
  memory: string;
  executionRoleArn: string;
  taskRoleArn: string;
  logGroupName: string;
  environment: Record<string, string>;
  /**
   * name → Secrets Manager reference (an ARN, or `<arn>:<json key>::` for one field of a JSON secret), injected
   * by ECS at start with the execution role. Only for what the code reads from its environment and nowhere else.
   */
  secrets?: Record<string, string>;
  command?: string[];
  portMappings?: number[];
  /** More task-local writable directories (Fargate ephemeral storage, gone with the task) besides /tmp. */
  scratch?: string[];
  /** EFS volumes, each through its own access point; `readOnly` mounts cannot be written by the container. */
  efs?: { name: string; fileSystemId: string; accessPointId: string; containerPath: string; readOnly?: boolean }[];
  /**
   * Seconds between SIGTERM and SIGKILL. The process drains in that time: the runner stops taking work
   * and gives back what it has not started, flushing its outbox; the collector exports its buffer.
   * 120 is the Fargate maximum and also the Spot interruption notice.
   */
  stopTimeout: number;
  /**
   * Variables and secrets that exist only when `when` holds (the console). ECS drops an empty variable, so
   * an "off" value cannot be written as ""; instead the task definition picks one of two complete container
   * JSONs, each a named local that reads as plain JSON: `<service>_container_definitions` and
   * `<service>_container_definitions_<name>`.
   */
  variant?: { name: string; when: boolean; environment: Record<string, string>; secrets: Record<string, string> };
}

const sorted = (m: Record<string, string>) => Object.entries(m).sort(([a], [b]) => a.localeCompare(b));

export function createTaskDefinition(ctx: StackContext, spec: ContainerSpec): EcsTaskDefinition {
  const mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[] = [
    // The root filesystem is read-only; /tmp is a task-local scratch volume on Fargate ephemeral storage.
    { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
  ];
  const volumes: EcsTaskDefinitionVolume[] = [{ name: 'tmp' }];
  for (const path of spec.scratch ?? []) {
    const name = `scratch${path.replace(/[^a-z0-9]+/g, '-')}`;
    mountPoints.push({ sourceVolume: name, containerPath: path, readOnly: false });
    volumes.push({ name });
  }
  for (const efs of spec.efs ?? []) {
    mountPoints.push({ sourceVolume: efs.name, containerPath: efs.containerPath, readOnly: efs.readOnly ?? false });
    volumes.push({
      name: efs.name,
      efsVolumeConfiguration: {
        fileSystemId: efs.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: efs.accessPointId, iam: 'ENABLED' },
      },
    });
  }

  const container = (environment: Record<string, string>, secrets: Record<string, string>) => ({
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
    environment: sorted(environment).map(([name, value]) => ({ name, value })),
    secrets: sorted(secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
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
  });

  const json = (environment: Record<string, string>, secrets: Record<string, string>) => JSON.stringify([container(environment, secrets)]);
  let containerDefinitions = json(spec.environment, spec.secrets ?? {});
  if (spec.variant) {
    const v = spec.variant;
    const base = new TerraformLocal(ctx.scope, `${spec.service}_container_definitions`, containerDefinitions);
    const withVariant = new TerraformLocal(
      ctx.scope,
      `${spec.service}_container_definitions_${v.name}`,
      json({ ...spec.environment, ...v.environment }, { ...spec.secrets, ...v.secrets }),
    );
    containerDefinitions = Fn.conditional(v.when, withVariant.asString, base.asString) as string;
  }

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
    containerDefinitions,
  });
}
