import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { clusterName, dbIdentifier, type StackContext } from './context.ts';

// Every log group the stack writes to is created here, including the ones AWS services would otherwise
// create on their own (RDS log exports, Container Insights). Pre-creating them means they are encrypted
// with the stack's key, have the customer's retention, and are deleted by `terraform destroy` instead of
// being left behind in the account.

export type LogGroupName = 'runner' | 'otel' | 'metrics' | 'flow' | 'rdsPostgresql' | 'rdsUpgrade' | 'containerInsights';

export type LogGroups = Record<LogGroupName, CloudwatchLogGroup>;

export function createLogGroups(ctx: StackContext, logsKeyArn: string): LogGroups {
  const own = (suffix: string) => `/agentplane/${ctx.name}/${suffix}`;
  const names: Record<LogGroupName, string> = {
    runner: own('runner'),
    otel: own('otel-collector'),
    metrics: own('metrics'),
    flow: own('vpc-flow-logs'),
    rdsPostgresql: `/aws/rds/instance/${dbIdentifier(ctx)}/postgresql`,
    rdsUpgrade: `/aws/rds/instance/${dbIdentifier(ctx)}/upgrade`,
    containerInsights: `/aws/ecs/containerinsights/${clusterName(ctx)}/performance`,
  };
  const groups = {} as LogGroups;
  for (const [key, name] of Object.entries(names) as [LogGroupName, string][]) {
    groups[key] = new CloudwatchLogGroup(ctx.scope, `log_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, {
      name,
      retentionInDays: ctx.vars.logRetentionDays.numberValue,
      kmsKeyId: logsKeyArn,
      // Deleted with the stack; retention already bounds how long the customer keeps them.
      skipDestroy: false,
    });
  }
  return groups;
}
