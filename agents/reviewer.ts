import type { Agent } from './types.ts';
import { AgentError } from './types.ts';

const MAX_FILES_IN_PROMPT = 8;
const MAX_CHARS_PER_FILE = 4000;
const SYSTEM_PROMPT = 'You are a careful code reviewer. Point out bugs, security problems and unclear code. Be brief and concrete.';

type IndexOutput = { files: Array<{ path: string; lines: number }> };

/** Asks the LLM for a review of the largest files the indexer found. The review stays local. */
export const reviewer: Agent = {
  name: 'reviewer',
  description: 'Reviews the most significant files with an LLM.',
  async run(ctx) {
    const index = ctx.previous.indexer as IndexOutput | undefined;
    if (!index) throw new AgentError('agent_error', 'reviewer needs the indexer output');
    const chosen = [...index.files].sort((a, b) => b.lines - a.lines).slice(0, MAX_FILES_IN_PROMPT);
    const parts: string[] = [];
    for (const f of chosen) {
      const text = await ctx.workspace.readFile(f.path);
      parts.push(`File: ${f.path}\n${text.slice(0, MAX_CHARS_PER_FILE)}`);
    }
    let result;
    try {
      result = await ctx.llm.chat(
        {
          model: 'core',
          max_tokens: 800,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: `Review these files:\n\n${parts.join('\n\n---\n\n') || '(no files)'}` },
          ],
        },
        { tenant: ctx.tenant, agent: 'reviewer', requestId: ctx.workflowId },
      );
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new AgentError(status && status < 500 && status !== 429 ? 'llm_rejected' : 'llm_unavailable', 'LLM call failed', {
        cause: err,
      });
    }
    const review = result.completion.choices[0]?.message.content ?? '';
    return {
      output: { review, files: chosen.map((f) => f.path) },
      llmCalls: 1,
      inputTokens: result.meta.usage.inputTokens + result.meta.usage.cachedInputTokens + result.meta.usage.cacheCreationTokens,
      outputTokens: result.meta.usage.outputTokens,
    };
  },
};
