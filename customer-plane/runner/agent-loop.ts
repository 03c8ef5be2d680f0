import { z } from 'zod';
import type { ToolName } from '../../shared/boundary.ts';
import type { Logger } from '../../shared/log.ts';
import { TOOLS, toolInputSchemas } from '../../agents/tools.ts';
import type { AgentOutput, LlmAgent } from '../../agents/types.ts';
import type { RunnerChatRequest, RunnerLlm, RunnerMessage, RunnerTool, RunnerToolCall } from '../llm/types.ts';
import type { StepTurnMemo } from '../memory/turn-cache.ts';
import { StepFailure, type StepToolBox } from '../tools/toolbox.ts';
import type { PriorTurn, StepJournal } from './ledger/journal.ts';
import { inputsEnvelope, RUNTIME_FRAME, toolResultEnvelope } from './untrusted.ts';

/** Tool calls per model turn on average: an LLM step may make maxSteps × this many calls; the gate refuses the rest. */
const CALLS_PER_TURN = 8;
export const toolCallBudget = (agent: { budget: { maxSteps: number } }) => agent.budget.maxSteps * CALLS_PER_TURN;

/** Model calls and tokens the step spent (`llmCalls`, tokens), and the turns memory answered instead (`reused…`). */
export type LoopSpend = {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  reusedCalls: number;
  reusedInputTokens: number;
  reusedOutputTokens: number;
};

export type LoopResult = LoopSpend & { output: AgentOutput };

export const noSpend = (): LoopSpend => ({
  llmCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  reusedCalls: 0,
  reusedInputTokens: 0,
  reusedOutputTokens: 0,
});

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export function toolsFor(agent: { tools: readonly ToolName[] }): RunnerTool[] {
  return agent.tools.map((name) => ({
    type: 'function',
    function: { name, description: TOOLS[name].description, parameters: jsonSchemaOf(toolInputSchemas[name]) },
  }));
}

/**
 * The tool-calling loop of an LLM agent. The model sees the agent's prompt and the runtime's frame as
 * instructions and everything from the workspace as labelled data; it may call the agent's tools (each
 * call through the gate) for at most `budget.maxSteps` turns and `budget.maxTokens` tokens, and must end
 * with a JSON object valid for the agent's output schema — one repair turn is granted, then the step
 * fails with `invalid_output`. Model replies are journaled, so a resumed step replays them.
 *
 * With `memo`, a turn whose request is byte-identical to one a succeeded step made before (same
 * repository and environment) takes that reply from memory instead of the model: the conversation is
 * exactly the one the model would have had, its tool calls still go through the gate, and the budget
 * counts the reused turn's tokens as before, so every later request is the same too.
 */
export async function runLlmAgent(
  agent: LlmAgent,
  deps: {
    llm: RunnerLlm;
    tools: StepToolBox;
    journal: StepJournal;
    priorTurns: Map<number, PriorTurn>;
    inputs: Record<string, unknown>;
    params: Record<string, string>;
    /** Names of the secrets the agent's commands may reference (never values). */
    secretNames?: readonly string[];
    tenant: string;
    requestId?: string;
    signal: AbortSignal;
    log: Logger;
    memo?: StepTurnMemo;
    /** Filled turn by turn, so a step that fails still records the calls and tokens it spent. */
    spent?: LoopSpend;
  },
): Promise<LoopResult> {
  const messages: RunnerMessage[] = [
    { role: 'system', content: `${agent.prompt}\n\n${RUNTIME_FRAME}` },
    {
      role: 'user',
      content: [
        `Task: ${agent.purpose}`,
        `Parameters of this run (operator-set): ${JSON.stringify(deps.params)}`,
        ...secretsLine(agent, deps.secretNames),
        'Outputs of the earlier steps this step depends on:',
        inputsEnvelope(deps.inputs),
        'Use your tools to look at the workspace, then answer with the JSON object.',
      ].join('\n'),
    },
  ];
  const tools = toolsFor(agent);
  const schema = jsonSchemaOf(agent.output);
  let turn = 0;
  const spent = deps.spent ?? noSpend();
  // The budget counts every turn the conversation holds, reused or not: the same path gives the same requests.
  let inputTokens = 0;
  let outputTokens = 0;
  let repaired = false;
  for (;;) {
    if (turn >= agent.budget.maxSteps) throw new StepFailure('budget_exhausted', `no answer within ${agent.budget.maxSteps} model turns`);
    if (inputTokens + outputTokens >= agent.budget.maxTokens)
      throw new StepFailure('budget_exhausted', `token budget of ${agent.budget.maxTokens} used up`);
    turn += 1;
    const reply = await nextTurn(turn);
    inputTokens += reply.inputTokens;
    outputTokens += reply.outputTokens;
    if (reply.reused) {
      spent.reusedCalls += 1;
      spent.reusedInputTokens += reply.inputTokens;
      spent.reusedOutputTokens += reply.outputTokens;
    } else {
      spent.llmCalls += 1;
      spent.inputTokens += reply.inputTokens;
      spent.outputTokens += reply.outputTokens;
    }
    const calls = toolCallsOf(reply.message.tool_calls);
    const content = typeof reply.message.content === 'string' ? reply.message.content : null;
    messages.push({ role: 'assistant', content, ...(calls.length ? { tool_calls: calls.map(echoable) } : {}) });
    if (calls.length > 0) {
      for (const call of calls) {
        const input = parseArguments(call.function.arguments);
        const result = await deps.tools.callRaw(call.function.name, input);
        messages.push({ role: 'tool', tool_call_id: echoable(call).id, content: toolResultEnvelope(call.function.name, input, result) });
      }
      continue;
    }
    const verdict = parseOutput(agent, content);
    if (verdict.ok) return { output: verdict.output, ...spent };
    if (repaired) throw new StepFailure('invalid_output', `the final answer is not valid for the output schema: ${verdict.problem}`);
    repaired = true;
    messages.push({
      role: 'user',
      content: `Your reply is not a JSON object valid for the output schema (${verdict.problem}). Reply with only that JSON object.`,
    });
  }

  async function nextTurn(
    seq: number,
  ): Promise<{ message: { content?: unknown; tool_calls?: unknown }; inputTokens: number; outputTokens: number; reused: boolean }> {
    const left = agent.budget.maxTokens - inputTokens - outputTokens;
    const request: RunnerChatRequest = {
      model: agent.tier,
      messages,
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'agent_output', schema, strict: false } },
      max_tokens: Math.max(256, Math.min(4096, left)),
    };
    const key = deps.memo?.keyOf(request);
    const prior = deps.priorTurns.get(seq);
    if (prior) {
      await deps.journal.recordTurn({
        seq,
        message: prior.message,
        inputTokens: prior.inputTokens,
        outputTokens: prior.outputTokens,
        replayed: true,
      });
      const message = prior.message as { content?: string | null; tool_calls?: unknown };
      if (key)
        deps.memo?.remember(key, { message: { content: message.content ?? null, tool_calls: message.tool_calls }, ...tokensOf(prior) });
      return { message, inputTokens: prior.inputTokens, outputTokens: prior.outputTokens, reused: false };
    }
    deps.priorTurns.clear(); // past the previous attempt's journal: live from here on
    const cached = key ? await deps.memo?.lookup(key) : undefined;
    if (cached) {
      await deps.journal.recordTurn({ seq, message: cached.message, ...tokensOf(cached), replayed: false });
      return { message: cached.message, ...tokensOf(cached), reused: true };
    }
    let result;
    try {
      result = await deps.llm.chat(request, { tenant: deps.tenant, agent: agent.name, requestId: deps.requestId, signal: deps.signal });
    } catch (err) {
      const status = (err as { status?: number }).status;
      const rejected = typeof status === 'number' && status < 500 && status !== 429 && status !== 499;
      throw new StepFailure(rejected ? 'llm_rejected' : 'llm_unavailable', 'the LLM call failed', { cause: err });
    }
    const u = result.meta.usage;
    const message = result.completion.choices[0]?.message ?? { content: null };
    const turnIn = u.inputTokens + u.cachedInputTokens + u.cacheCreationTokens;
    const kept = { content: typeof message.content === 'string' ? message.content : null, tool_calls: message.tool_calls ?? undefined };
    await deps.journal.recordTurn({ seq, message: kept, inputTokens: turnIn, outputTokens: u.outputTokens, replayed: false });
    if (key) deps.memo?.remember(key, { message: kept, inputTokens: turnIn, outputTokens: u.outputTokens });
    return { message: kept, inputTokens: turnIn, outputTokens: u.outputTokens, reused: false };
  }
}

/** Tells an agent that runs commands which secrets it may name; values are substituted where the command runs. */
function secretsLine(agent: LlmAgent, names: readonly string[] | undefined): string[] {
  if (!names?.length || !agent.tools.some((t) => t === 'run_command' || t === 'git')) return [];
  const how = agent.tools.includes('run_command')
    ? 'preferably as an environment variable in run_command\'s env ({"NAME": "{{secret:NAME}}"}), or as an argument {{secret:NAME}} (visible in the process list while it runs)'
    : 'write {{secret:NAME}} as an argument';
  return [
    `Secrets your commands may use, by reference only — ${how}; the value is put in when the command runs and you never see it: ${names.join(', ')}`,
  ];
}
const tokensOf = (t: { inputTokens: number; outputTokens: number }) => ({ inputTokens: t.inputTokens, outputTokens: t.outputTokens });

/** The tool calls of a reply, whatever shape the model gave them in; anything unusable is skipped. */
function toolCallsOf(raw: unknown): RunnerToolCall[] {
  if (!Array.isArray(raw)) return [];
  const out: RunnerToolCall[] = [];
  for (const [i, c] of raw.entries()) {
    const fn = (c as { function?: { name?: unknown; arguments?: unknown } })?.function;
    if (!fn || typeof fn.name !== 'string') continue;
    const id = (c as { id?: unknown }).id;
    out.push({
      id: typeof id === 'string' && id ? id : `call_${i}`,
      type: 'function',
      function: { name: fn.name, arguments: typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {}) },
    });
  }
  return out;
}

/** The call as it is sent back to the provider: a name and id the API accepts, and arguments that are an object. */
function echoable(call: RunnerToolCall): RunnerToolCall {
  const name = call.function.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'unnamed';
  const args = parseArguments(call.function.arguments);
  const argsText = args && typeof args === 'object' && !Array.isArray(args) ? call.function.arguments : '{}';
  return { id: call.id.slice(0, 200), type: 'function', function: { name, arguments: argsText } };
}

/** The arguments as JSON, or the raw text when they are not JSON (the gate then refuses them as invalid_arguments). */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseOutput(agent: LlmAgent, content: string | null): { ok: true; output: AgentOutput } | { ok: false; problem: string } {
  if (!content) return { ok: false, problem: 'the reply is empty' };
  let value: unknown;
  try {
    value = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    return { ok: false, problem: 'the reply is not JSON' };
  }
  const r = agent.output.safeParse(value);
  if (r.success) return { ok: true, output: r.data };
  return {
    ok: false,
    problem: r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; '),
  };
}
