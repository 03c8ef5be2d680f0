// Helpers to read the synthesized Terraform JSON in tests: typed lookups of resources, data sources and
// the IAM statements inside policy documents.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Block = { [k: string]: Json };

export interface TfJson {
  terraform: Block;
  provider: { aws: Block[] };
  variable: Record<string, Block>;
  locals: Record<string, string>;
  data: Record<string, Record<string, Block>>;
  resource: Record<string, Record<string, Block>>;
  output: Record<string, Block>;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const distFile = join(repoRoot, 'terraform', 'dist', 'main.tf.json');

/**
 * The committed output, or another file when AGENTPLANE_TF_JSON is set — used to confirm a rule fails on
 * a deliberately broken copy.
 */
export function loadDist(): TfJson {
  return JSON.parse(readFileSync(process.env.AGENTPLANE_TF_JSON ?? distFile, 'utf8')) as TfJson;
}

export function resources(tf: TfJson, type: string): [string, Block][] {
  return Object.entries(tf.resource[type] ?? {});
}

export function dataSources(tf: TfJson, type: string): [string, Block][] {
  return Object.entries(tf.data[type] ?? {});
}

/** Nested blocks are written as an object or a one-element list depending on the schema. */
export function blocks(value: Json | undefined): Block[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as Block[];
  return [value as Block];
}

export function block(value: Json | undefined): Block {
  const all = blocks(value);
  if (all.length !== 1) throw new Error(`expected one block, got ${all.length}`);
  return all[0];
}

/** "${aws_kms_key.data_key.arn}" → "aws_kms_key.data_key" */
export function refersTo(value: Json | undefined, address: string): boolean {
  return typeof value === 'string' && value.includes(`\${${address}.`);
}

export interface Statement {
  doc: string;
  sid: string;
  effect: string;
  actions: string[];
  resources: string[] | string;
  principals: { type: string; identifiers: string[] }[];
  conditions: { test: string; variable: string; values: string[] }[];
}

export function statements(tf: TfJson): Statement[] {
  const out: Statement[] = [];
  for (const [doc, body] of dataSources(tf, 'aws_iam_policy_document')) {
    for (const s of blocks(body.statement)) {
      out.push({
        doc,
        sid: String(s.sid ?? ''),
        effect: String(s.effect ?? 'Allow'),
        actions: (s.actions ?? []) as string[],
        resources: (s.resources ?? []) as string[] | string,
        principals: blocks(s.principals) as unknown as Statement['principals'],
        conditions: blocks(s.condition) as unknown as Statement['conditions'],
      });
    }
  }
  return out;
}

/** Documents attached to IAM roles (identity policies), as opposed to key, bucket and file-system policies. */
export function rolePolicyDocs(tf: TfJson): Set<string> {
  const docs = new Set<string>();
  for (const [, p] of resources(tf, 'aws_iam_role_policy')) {
    const m = /data\.aws_iam_policy_document\.([a-z0-9_]+)\.json/.exec(String(p.policy));
    if (m) docs.add(m[1]);
  }
  return docs;
}

export interface ContainerDef {
  name: string;
  image: string;
  user?: string;
  readonlyRootFilesystem?: boolean;
  privileged?: boolean;
  linuxParameters?: { initProcessEnabled?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  healthCheck?: { command: string[] };
  stopTimeout?: number;
  logConfiguration?: { logDriver: string; options: Record<string, string> };
  portMappings?: { containerPort: number }[];
}

/**
 * The containers of a task definition. A task definition whose containers differ by a switch (the plane's
 * console) picks one of two JSON locals (`${cond ? local.a : local.b}`): every variant is returned, so a
 * rule checked on all containers holds whichever the customer switches on.
 */
export function containerDefinitions(task: Block, tf: TfJson = loadDist()): ContainerDef[] {
  const text = String(task.container_definitions);
  if (text.startsWith('[')) return JSON.parse(text) as ContainerDef[];
  return containerVariants(task, tf).flatMap((v) => v.containers);
}

/** Each variant of a task definition's containers, named by the local that holds it. */
export function containerVariants(task: Block, tf: TfJson = loadDist()): { local: string; containers: ContainerDef[] }[] {
  const text = String(task.container_definitions);
  if (text.startsWith('[')) return [{ local: '', containers: JSON.parse(text) as ContainerDef[] }];
  const m = /^\$\{.+ \? local\.([a-z0-9_]+) : local\.([a-z0-9_]+)\}$/.exec(text);
  if (!m) throw new Error(`container_definitions is neither JSON nor a choice of two locals: ${text}`);
  return [m[1], m[2]].map((local) => ({ local, containers: JSON.parse(tf.locals[local]) as ContainerDef[] }));
}
