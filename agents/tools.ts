import { z } from 'zod';
import type { ToolName } from '../shared/boundary.ts';
import { commandEnvSchema } from './command-env.ts';

/**
 * The tools an agent can be given, with their typed inputs and the effects they have. Pure data: the
 * executors live in customer-plane/tools/, and every call reaches them only through the gate
 * (customer-plane/gate/), which checks the agent's allow-list, these schemas, paths and commands.
 *
 * Paths are workspace-relative strings; the gate refuses absolute paths, `..` escapes, symlinks out
 * and NUL bytes before an executor sees them. Commands are one string the command guard parses; what
 * runs is the argv the guard resolved, never a shell.
 */

/** What a tool does to the world. The gate's policy is written against these, not against tool names. */
export const EFFECTS = ['read', 'write', 'exec', 'vcs', 'network'] as const;
export type Effect = (typeof EFFECTS)[number];

/**
 * Kinds of consequential action. A call that has one is answered `ask` (a person approves it) unless
 * the environment's policy denies it outright; the model can never make one happen on its own.
 */
export const CONSEQUENCES = ['push', 'deploy', 'delete', 'send', 'permission_change', 'network'] as const;
export type Consequence = (typeof CONSEQUENCES)[number];

const relPath = z.string().min(1).max(1024);
export { SECRET_REF_RE } from './secret-reference.ts';

export const toolInputSchemas = {
  list_files: z.strictObject({
    dir: relPath.optional(),
    maxFiles: z.number().int().min(1).max(5000).optional(),
  }),
  read_file: z.strictObject({
    path: relPath,
    startLine: z.number().int().min(1).optional(),
    endLine: z.number().int().min(1).optional(),
  }),
  search: z.strictObject({
    /** A literal string, or a regular expression when `regex` is true (checked for catastrophic patterns). */
    pattern: z.string().min(1).max(512),
    regex: z.boolean().optional(),
    dir: relPath.optional(),
    maxResults: z.number().int().min(1).max(1000).optional(),
  }),
  write_file: z.strictObject({ path: relPath, content: z.string().max(1024 * 1024) }),
  /** A unified diff (as `git diff` prints it) over files in the workspace. */
  apply_patch: z.strictObject({
    diff: z
      .string()
      .min(1)
      .max(1024 * 1024),
  }),
  delete_file: z.strictObject({ path: relPath }),
  run_command: z.strictObject({
    /** Parsed by the command guard; may reference secrets as {{secret:NAME}} (visible in the process list while it runs). */
    command: z.string().min(1).max(4096),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    /** Secrets for this command as environment variables, out of the process list (agents/command-env.ts). git has no such field. */
    env: commandEnvSchema.optional(),
  }),
  /** git in the workspace (a fresh repository whose one commit is the baseline copy). */
  git: z.strictObject({ args: z.array(z.string().min(1).max(256)).min(1).max(32) }),
  fetch_url: z.strictObject({ url: z.string().url().max(2048) }),
} as const satisfies Record<ToolName, z.ZodType>;

export type ToolInput<T extends ToolName> = z.infer<(typeof toolInputSchemas)[T]>;

export type ToolSpec = {
  name: ToolName;
  /** Shown to the model as the function description. */
  description: string;
  effect: Effect;
  /** Consequences every call of this tool has; commands and git get theirs per call from the guard. */
  consequences: readonly Consequence[];
};

export const TOOLS: Record<ToolName, ToolSpec> = {
  list_files: { name: 'list_files', description: 'List files in the workspace (relative paths).', effect: 'read', consequences: [] },
  read_file: {
    name: 'read_file',
    description: 'Read a text file from the workspace, optionally a line range.',
    effect: 'read',
    consequences: [],
  },
  search: {
    name: 'search',
    description: 'Search file contents in the workspace; returns file, line and the matching line.',
    effect: 'read',
    consequences: [],
  },
  write_file: { name: 'write_file', description: 'Create or replace a file in the workspace.', effect: 'write', consequences: [] },
  apply_patch: { name: 'apply_patch', description: 'Apply a unified diff to files in the workspace.', effect: 'write', consequences: [] },
  delete_file: { name: 'delete_file', description: 'Delete a file in the workspace.', effect: 'write', consequences: ['delete'] },
  run_command: {
    name: 'run_command',
    description:
      'Run one allowed command (or a pipeline of them) in the workspace, without a shell, in a sandbox. Pass secrets through `env` ({"NAME": "{{secret:NAME}}"}).',
    effect: 'exec',
    consequences: [],
  },
  git: { name: 'git', description: 'Run an allowed git subcommand in the workspace.', effect: 'vcs', consequences: [] },
  fetch_url: { name: 'fetch_url', description: 'Fetch a URL.', effect: 'network', consequences: ['network'] },
};

/** One tool call as the model (or a deterministic agent) asks for it, before the gate has looked at it. */
export type ToolCall = { tool: string; input: unknown };

/**
 * What a tool returns to the agent. Output is data from the workspace: the loop delimits and labels it.
 * `ok: false` is a refusal by the gate (`deny`, or `ask` that was not approved; `reason` is a refusal
 * code) or a call the gate allowed that could not be carried out (`error`: not_found, too_large,
 * not_text, failed, timeout).
 */
export type ToolResult =
  | { ok: true; output: string; truncated?: boolean; data?: unknown }
  | { ok: false; decision: 'deny' | 'ask' | 'error'; reason: string; message: string };
