import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import type { Construct } from 'constructs';

// Policies are built with aws_iam_policy_document rather than jsonencode(): the statements stay as plain
// JSON blocks in the synthesized output, where the reviewer and the policy tests can read every action.

export interface Statement {
  sid: string;
  effect?: 'Allow' | 'Deny';
  actions: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

export function policyDocument(scope: Construct, id: string, statements: Statement[]): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: statements.map((s) => ({
      sid: s.sid,
      effect: s.effect ?? 'Allow',
      actions: s.actions,
      resources: s.resources,
      principals: s.principals,
      condition: s.conditions,
    })),
  });
}
