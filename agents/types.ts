import { z } from 'zod';
import { type AgentName, type ErrorCode, FINDING_SEVERITIES, type TemplateName, type ToolName } from '../shared/boundary.ts';
import type { Tier } from '../shared/llm/index.ts';
import type { ToolInput, ToolResult } from './tools.ts';
import { AgentplaneError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';

/** An agent's failure with a code from the closed list, so the step can report it without its text. */
export class AgentError extends AgentplaneError {
  declare readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
  }
}

// ---------------------------------------------------------------------------------------------------
// The agent runtime's contract (DESIGN.md, "The agent runtime"). Definitions here are pure data and
// pure functions: every effect an agent has goes through `ctx.tools`, i.e. through the gate.
// ---------------------------------------------------------------------------------------------------

export const findingSchema = z.strictObject({
  /** Stable rule id of the agent that found it, e.g. `secret/aws-access-key`, `sql/string-concat`. */
  rule: z.string().regex(/^[a-z0-9][a-z0-9_./-]{0,79}$/),
  severity: z.enum(FINDING_SEVERITIES),
  /** Workspace-relative path ('' when the finding is about the repository as a whole). */
  file: z.string().max(1024),
  /** 1-based; 0 when the finding has no line. */
  line: z.number().int().min(0),
  message: z.string().min(1).max(2000),
});
export type Finding = z.infer<typeof findingSchema>;

export const patchSchema = z.strictObject({
  /** Why the change is made, one line. */
  title: z.string().min(1).max(200),
  /** A unified diff (`git diff` format) against the workspace as the step found it. */
  diff: z
    .string()
    .min(1)
    .max(1024 * 1024),
});
export type Patch = z.infer<typeof patchSchema>;

/** Every agent's output has this shape; `data` holds what is specific to the agent (its schema extends it). */
export const agentOutputSchema = z.strictObject({
  summary: z.string().max(20_000),
  findings: z.array(findingSchema).max(5000),
  patches: z.array(patchSchema).max(100),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type AgentOutput = z.infer<typeof agentOutputSchema>;

/** Calls tools through the gate. A denied or asked-and-refused call comes back as `ok: false`, never throws. */
export type ToolBox = {
  call<T extends ToolName>(tool: T, input: ToolInput<T>): Promise<ToolResult>;
};

/** Syntax trees for deterministic analysis (tree-sitter, loaded by the customer plane; no I/O here). */
export type SyntaxService = {
  /** Languages a tree can be had for (e.g. 'javascript', 'typescript', 'tsx', 'python', 'bash'). */
  languages(): readonly string[];
  /** The language of a workspace path by its extension, or undefined. */
  languageOf(path: string): string | undefined;
  parse(language: string, text: string): SyntaxTree | undefined;
};
/** The subset of a tree-sitter node the agents use, so agents/ does not depend on the binding. */
export type SyntaxNode = {
  type: string;
  text: string;
  startPosition: { row: number; column: number };
  endPosition: { row: number; column: number };
  childCount: number;
  namedChildCount: number;
  children: SyntaxNode[];
  namedChildren: SyntaxNode[];
  parent: SyntaxNode | null;
  childForFieldName(name: string): SyntaxNode | null;
};
export type SyntaxTree = { rootNode: SyntaxNode; delete?(): void };

export type StepContext = {
  workflowId: string;
  stepId: string;
  agent: AgentName;
  tools: ToolBox;
  /** Outputs of the steps this step depends on (by step id in the template). Local data, never sent up. */
  inputs: Record<string, AgentOutput>;
  /** Non-sensitive parameters of the run (template parameters; secrets are only ever names). */
  params: Record<string, string>;
  syntax: SyntaxService;
  log: Logger;
  signal: AbortSignal;
};

export type AgentBudget = {
  /** Tool calls (LLM agents: model turns) the agent may make before it must answer. */
  maxSteps: number;
  /** Input + output tokens over the whole step (LLM agents). */
  maxTokens: number;
};

type AgentBase = {
  name: AgentName;
  /** One sentence: the job a team would pay for. */
  purpose: string;
  /** Default deny: a tool not listed here cannot be called. */
  tools: readonly ToolName[];
  /** Programs `run_command` may start for this agent (the command guard's allow-list), e.g. ['npm', 'node']. */
  programs?: readonly string[];
  budget: AgentBudget;
  /** Extends `agentOutputSchema` (its `data`), so every output is checked before it is recorded. */
  output: z.ZodType<AgentOutput>;
};

/** Useful with no LLM at all. */
export type DeterministicAgent = AgentBase & {
  kind: 'deterministic';
  tier: null;
  run(ctx: StepContext): Promise<AgentOutput>;
};

/** Runs through the runtime's tool-calling loop with `prompt` as its system prompt. */
export type LlmAgent = AgentBase & {
  kind: 'llm';
  tier: Tier;
  /** System prompt. Workspace content reaches the model only as delimited, labelled data after it. */
  prompt: string;
};

export type AgentDefinition = DeterministicAgent | LlmAgent;

/** A workflow template: a DAG of steps. A step runs when every step it `needs` succeeded. */
export type TemplateStep = { id: string; agent: AgentName; needs: readonly string[]; params?: Record<string, string> };
export type WorkflowTemplate = { name: TemplateName; description: string; steps: readonly TemplateStep[] };
