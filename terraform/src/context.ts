import type { Construct } from 'constructs';
import type { StackVariables } from './variables.ts';

/**
 * What every concern needs to build names and ARNs. ARNs are assembled from the partition, region and
 * account of the deployment so IAM statements can name exact resources instead of "*".
 */
export interface StackContext {
  scope: Construct;
  vars: StackVariables;
  /** "ap-<tenant>" — the prefix of every named resource, so the stack's footprint is easy to audit. */
  name: string;
  partition: string;
  accountId: string;
  region: string;
  /** The two availability zones the private subnets (and everything in them) are spread over. */
  azs: [string, string];
}

export function arn(ctx: StackContext, service: string, resource: string, opts: { global?: boolean } = {}): string {
  const region = opts.global ? '' : ctx.region;
  return `arn:${ctx.partition}:${service}:${region}:${ctx.accountId}:${resource}`;
}

/** Stable identifiers that depend only on the tenant; their log groups are named after them. */
export function dbIdentifier(ctx: StackContext): string {
  return `${ctx.name}-metadata`;
}
export function clusterName(ctx: StackContext): string {
  return ctx.name;
}

/** Log group names live under these prefixes; the logs KMS key only serves log groups matching them. */
export function logGroupPrefixes(ctx: StackContext): string[] {
  return [`/agentplane/${ctx.name}/`, `/aws/rds/instance/${dbIdentifier(ctx)}/`, `/aws/ecs/containerinsights/${clusterName(ctx)}/`];
}
