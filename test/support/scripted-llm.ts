import type { ToolResult } from '../../agents/tools.ts';
import { agentOutputSchema, type AgentOutput, type LlmAgent } from '../../agents/types.ts';
import type { RunnerChatRequest, RunnerChatResult, RunnerLlm } from '../../customer-plane/llm/types.ts';
import type { StepJournal } from '../../customer-plane/runner/ledger/journal.ts';
import type { StepToolBox } from '../../customer-plane/tools/toolbox.ts';

/**
 * In-process fakes for the agent loop's direct tests: a model that replies from a script (no HTTP, no
 * gateway), a toolbox and a journal that record what the loop gave them. What the real gate and ledger
 * do with those calls is proved by their own tests.
 */
export type Usage = RunnerChatResult['meta']['usage'];
/** One scripted reply: what the model says, what it cost, or the error the provider answers with. */
export type Reply = { content?: unknown; tool_calls?: unknown; usage?: Partial<Usage>; choices?: [] } | Error;

export const answer = (summary = 'done', extra: Partial<AgentOutput> = {}): string =>
  JSON.stringify({ summary, findings: [], patches: [], ...extra });
export const toolCall = (name: string, args: unknown = {}, id = `id_${name}`) => ({
  id,
  type: 'function',
  function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
});

/** A model answering each request with the next reply of the script; a request past its end is recorded as `overrun`. */
export function scriptedLlm(script: Array<Reply | ((req: RunnerChatRequest) => Reply)>) {
  const requests: RunnerChatRequest[] = [];
  const contexts: Array<Parameters<RunnerLlm['chat']>[1]> = [];
  let overrun = 0;
  const llm: RunnerLlm = {
    async chat(req, ctx) {
      // The loop keeps appending to the same messages array: keep the request as it was sent.
      requests.push(structuredClone(req));
      contexts.push(ctx);
      const next = script[requests.length - 1];
      if (next === undefined) {
        overrun += 1;
        throw new Error('the script has no reply for this turn');
      }
      const r = typeof next === 'function' ? next(req) : next;
      if (r instanceof Error) throw r;
      const message = { content: r.content as string | null | undefined, tool_calls: r.tool_calls as unknown[] | null | undefined };
      return {
        completion: { choices: r.choices ?? [{ message }] },
        meta: { usage: { inputTokens: 10, cachedInputTokens: 0, cacheCreationTokens: 0, outputTokens: 5, ...r.usage } },
      };
    },
    close: async () => {},
  };
  return {
    llm,
    requests,
    contexts,
    get overrun() {
      return overrun;
    },
  };
}

/** A toolbox that records each raw call and answers it (by default with the call's name). */
export function recordingTools(answerWith: (tool: string, input: unknown) => ToolResult = (tool) => ({ ok: true, output: `ran ${tool}` })) {
  const calls: Array<{ tool: string; input: unknown }> = [];
  const tools = {
    async callRaw(tool: string, input: unknown) {
      calls.push({ tool, input });
      return answerWith(tool, input);
    },
  } as unknown as StepToolBox;
  return { tools, calls };
}

export type TurnRecord = Parameters<StepJournal['recordTurn']>[0];
export function recordingJournal() {
  const turns: TurnRecord[] = [];
  const journal = {
    async recordTurn(t: TurnRecord) {
      turns.push(t);
    },
  } as unknown as StepJournal;
  return { journal, turns };
}

export function llmAgent(o: Partial<LlmAgent> = {}): LlmAgent {
  return {
    name: 'bug-diagnoser',
    kind: 'llm',
    tier: 'core',
    purpose: 'find the bug',
    tools: ['read_file'],
    budget: { maxSteps: 4, maxTokens: 100_000 },
    output: agentOutputSchema,
    prompt: 'You diagnose bugs.',
    ...o,
  };
}
