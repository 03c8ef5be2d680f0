import { randomUUID } from 'node:crypto';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { runAttempts, type Attempt, type AttemptRun, type Opened } from './attempts.ts';
import type { Core, LlmCallContext, LlmMeta, Prepared } from './core.ts';
import { toCompletion, type NormalizedResult } from './normalized.ts';
import type { ProviderAdapter } from './providers/types.ts';
import type { LlmUsage } from './usage.ts';

export type ChatResult = { completion: ChatCompletion; meta: LlmMeta };

/** One non-streaming attempt: the provider's whole answer, taken as it is. */
class AnswerRun implements AttemptRun<never> {
  result: NormalizedResult | undefined;
  readonly adapter: ProviderAdapter;
  readonly p: Prepared;
  readonly a: Attempt;
  constructor(adapter: ProviderAdapter, p: Prepared, a: Attempt) {
    this.adapter = adapter;
    this.p = p;
    this.a = a;
  }
  get usage(): LlmUsage | undefined {
    return this.result?.usage;
  }
  get finished(): boolean {
    return this.result !== undefined;
  }
  async open(): Promise<Opened> {
    const { p, a } = this;
    const call = { request: p.request, spec: a.spec, maxTokens: p.maxTokens[a.provider], cacheKey: p.cacheKey, signal: a.signal };
    return { first: { done: false, value: await this.adapter.complete(call) } };
  }
  take(piece: unknown): undefined {
    this.result = piece as NormalizedResult;
  }
  produced(): string {
    return '';
  }
}

/** Non-streaming chat: the attempt loop with the whole answer as its one piece. */
export async function chatCompletion(core: Core, p: Prepared, ctx: LlmCallContext): Promise<ChatResult> {
  let run: AnswerRun | undefined;
  let meta: LlmMeta | undefined;
  const consumer = {
    start: (a: Attempt) => (run = new AnswerRun(core.adapters.get(a.provider)!, p, a)),
    midStream: () => false,
  };
  const attempts = runAttempts(core, p, ctx, consumer, { resolve: (m) => (meta = m), reject: () => undefined });
  await attempts.next(); // yields nothing: done once an attempt answered, or throws
  const completion = toCompletion(run!.result!, `chatcmpl-${randomUUID()}`, p.tier, Math.floor(core.clock() / 1000));
  return { completion, meta: meta! };
}
