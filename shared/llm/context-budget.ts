import { ContextOverflowError } from './errors.ts';
import { contentText, type ChatMessage, type ChatTool } from './schema.ts';
import { tokenUpperBound, type TokenCounter } from './tokens.ts';

/**
 * Fits a conversation into the target window minus the output reserve by removing whole units
 * only: old turns (a user message and everything answering it) and the content of oversized tool
 * results (replaced by a one-line note, so the tool call keeps its answer). A message is never cut
 * in the middle; system/developer messages and the newest user turn are never dropped.
 */

export type PruneReport = {
  turnsDropped: number;
  toolResultsElided: number;
  /** Counted prompt tokens before and after; absent when the cheap bound showed it fits. */
  tokensBefore?: number;
  tokensAfter?: number;
  /** Some counts are byte bounds: exact counting did not finish within its deadline. */
  estimated?: boolean;
};

const PER_MESSAGE = 4; // role and separators, as OpenAI's chat format adds them
const PRIMING = 3; // the assistant reply header
const PER_IMAGE = 765; // a high-detail 512px tile; images are not tokenised from their URL

function messageText(m: ChatMessage): string {
  let s = contentText(m.content);
  if (m.role === 'assistant' && m.tool_calls) for (const c of m.tool_calls) s += c.function.name + c.function.arguments;
  return s;
}

function imageCount(m: ChatMessage): number {
  return Array.isArray(m.content) ? (m.content as { type: string }[]).filter((p) => p.type === 'image_url').length : 0;
}

export function elisionNote(tokens: number): string {
  return `[tool result omitted by the gateway to fit the context window: about ${tokens} tokens]`;
}

/**
 * Counting happens only when the byte bound does not fit, and then off the event loop
 * (tokens.ts); an elision note is short and costed by its bytes, so it needs no count.
 */
export async function fitContext(input: {
  messages: ChatMessage[];
  tools?: ChatTool[];
  /** Tokens the prompt may use. */
  budget: number;
  counter: TokenCounter;
  /** A tool result above this many tokens is "oversized"; default a quarter of the budget. */
  toolResultMaxTokens?: number;
}): Promise<{ messages: ChatMessage[]; report: PruneReport; promptTokens: number }> {
  const { messages, budget, counter } = input;
  const toolsText = input.tools?.length ? JSON.stringify(input.tools) : '';
  let bound = tokenUpperBound(toolsText) + PRIMING;
  for (const m of messages) bound += tokenUpperBound(messageText(m)) + PER_MESSAGE + imageCount(m) * PER_IMAGE;
  // Uncounted, ~4 bytes per token is the usual ratio; only used to estimate what a broken attempt cost.
  if (bound <= budget) return { messages, report: { turnsDropped: 0, toolResultsElided: 0 }, promptTokens: Math.ceil(bound / 4) };

  const { counts, exact } = await counter.countAll([toolsText, ...messages.map(messageText)]);
  const cost = messages.map((m, i) => counts[i + 1] + PER_MESSAGE + imageCount(m) * PER_IMAGE);
  const fixed = counts[0] + PRIMING;
  let total = fixed + cost.reduce((a, b) => a + b, 0);
  const before = total;
  const report: PruneReport = { turnsDropped: 0, toolResultsElided: 0, tokensBefore: before, tokensAfter: before };
  if (!exact) report.estimated = true;
  if (total <= budget) return { messages, report, promptTokens: total };

  // Turns: non-system messages grouped from each user message up to the next one.
  const turnOf: number[] = new Array(messages.length).fill(-1);
  let turn = -1;
  let lastUserTurn = -1;
  messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') return;
    if (m.role === 'user' || turn === -1) turn += 1;
    if (m.role === 'user') lastUserTurn = turn;
    turnOf[i] = turn;
  });
  const protectedTurn = lastUserTurn === -1 ? turn : lastUserTurn;
  const out: (ChatMessage | null)[] = [...messages];
  const limit = input.toolResultMaxTokens ?? Math.max(256, Math.floor(budget / 4));

  const elide = (inProtected: boolean) => {
    for (let i = 0; i < out.length && total > budget; i++) {
      const m = out[i];
      if (m?.role !== 'tool' || (turnOf[i] === protectedTurn) !== inProtected || cost[i] <= limit) continue;
      const note = elisionNote(cost[i] - PER_MESSAGE);
      const next = tokenUpperBound(note) + PER_MESSAGE;
      out[i] = { role: 'tool', tool_call_id: m.tool_call_id, content: note };
      total += next - cost[i];
      cost[i] = next;
      report.toolResultsElided += 1;
    }
  };

  elide(false);
  for (let t = 0; t < protectedTurn && total > budget; t++) {
    let dropped = false;
    for (let i = 0; i < out.length; i++) {
      if (turnOf[i] !== t || !out[i]) continue;
      total -= cost[i];
      out[i] = null;
      dropped = true;
    }
    if (dropped) report.turnsDropped += 1;
  }
  elide(true);
  if (total > budget) throw new ContextOverflowError(total, budget);
  report.tokensAfter = total;
  return { messages: out.filter((m): m is ChatMessage => m !== null), report, promptTokens: total };
}

/**
 * The pruning summary as one header value, e.g. `turns=2; tool_results=1; tokens=9000->3900`;
 * `; estimated` when some counts are byte bounds.
 */
export function pruneHeader(r: PruneReport): string {
  // Nearly every request fits as it is: that header is built once, not per request.
  if (r.turnsDropped === 0 && r.toolResultsElided === 0 && r.tokensBefore === undefined && !r.estimated) return NOTHING_PRUNED;
  const tokens = r.tokensBefore === undefined ? '' : `; tokens=${r.tokensBefore}->${r.tokensAfter}`;
  return `turns=${r.turnsDropped}; tool_results=${r.toolResultsElided}${tokens}${r.estimated ? '; estimated' : ''}`;
}

const NOTHING_PRUNED = 'turns=0; tool_results=0';
