import type {
  ContentBlockParam,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { historyBreakpointIndex } from './cache-shaping.ts';
import { LlmInvalidRequestError } from './errors.ts';
import { contentText, type ChatMessage, type ChatRequest } from './schema.ts';

/**
 * OpenAI chat request → Anthropic Messages request. System and developer messages become the
 * `system` blocks; tool results become user `tool_result` blocks; assistant tool calls become
 * `tool_use` blocks with parsed input; consecutive same-role messages merge, as Anthropic expects
 * alternating turns. The stable prefix gets cache_control breakpoints (tools, system, history).
 */

const EPHEMERAL = { type: 'ephemeral' } as const;
const JSON_ONLY = 'Reply with a single JSON object and nothing else.';

function imageBlock(url: string): ContentBlockParam {
  const m = /^data:(image\/(?:png|jpeg|gif|webp));base64,(.+)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1] as 'image/png', data: m[2] } };
  if (/^https:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new LlmInvalidRequestError('image_url must be an https URL or a base64 data URL of png, jpeg, gif or webp', {
    param: 'messages',
  });
}

function userBlocks(m: Extract<ChatMessage, { role: 'user' }>): ContentBlockParam[] {
  if (typeof m.content === 'string') return m.content ? [{ type: 'text', text: m.content }] : [];
  return m.content.flatMap((p): ContentBlockParam[] =>
    p.type === 'text' ? (p.text ? [{ type: 'text', text: p.text }] : []) : [imageBlock(p.image_url.url)],
  );
}

function parseArguments(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the 400 below
  }
  throw new LlmInvalidRequestError('assistant tool_calls arguments must be a JSON object', { param: 'messages' });
}

function assistantBlocks(m: Extract<ChatMessage, { role: 'assistant' }>): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  const t = contentText(m.content);
  if (t) out.push({ type: 'text', text: t });
  for (const c of m.tool_calls ?? [])
    out.push({ type: 'tool_use', id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) });
  return out;
}

function toolChoice(req: ChatRequest): ToolChoice | undefined {
  const disable = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const c = req.tool_choice;
  if (c === undefined) return req.parallel_tool_calls === false ? { type: 'auto', ...disable } : undefined;
  if (c === 'none') return { type: 'none' };
  if (c === 'auto') return { type: 'auto', ...disable };
  if (c === 'required') return { type: 'any', ...disable };
  return { type: 'tool', name: c.function.name, ...disable };
}

export function toAnthropicRequest(req: ChatRequest, model: string, maxTokens: number): MessageCreateParamsNonStreaming {
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) (last.content as ContentBlockParam[]).push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      const t = contentText(m.content);
      if (t) system.push({ type: 'text', text: t });
    } else if (m.role === 'user') push('user', userBlocks(m));
    else if (m.role === 'assistant') push('assistant', assistantBlocks(m));
    else push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: contentText(m.content) }]);
  }
  if (messages.length === 0 || messages[0].role !== 'user') {
    throw new LlmInvalidRequestError('the conversation must contain a user message before any assistant message', { param: 'messages' });
  }
  // Anthropic rejects a final assistant prefill ending in whitespace; the caller re-adds it (see stream).
  const last = messages[messages.length - 1];
  if (last.role === 'assistant') {
    const blocks = last.content as ContentBlockParam[];
    const tail = blocks[blocks.length - 1];
    if (tail.type === 'text') tail.text = tail.text.trimEnd();
    if (tail.type === 'text' && tail.text === '') blocks.pop();
    if (blocks.length === 0) messages.pop();
  }

  const format = req.response_format;
  if (format?.type === 'json_object') system.push({ type: 'text', text: JSON_ONLY });
  const tools: Tool[] | undefined = req.tools?.map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: { type: 'object', ...(t.function.parameters ?? {}) } as Tool['input_schema'],
  }));

  if (tools?.length) tools[tools.length - 1].cache_control = EPHEMERAL;
  if (system.length) system[system.length - 1].cache_control = EPHEMERAL;
  const h = historyBreakpointIndex(messages);
  if (h >= 0) {
    const blocks = messages[h].content as ContentBlockParam[];
    const b = blocks[blocks.length - 1] as { cache_control?: unknown };
    b.cache_control = EPHEMERAL;
  }

  const stop = req.stop === undefined || req.stop === null ? undefined : Array.isArray(req.stop) ? req.stop : [req.stop];
  const choice = toolChoice(req);
  return {
    model,
    max_tokens: maxTokens,
    messages,
    ...(system.length ? { system } : {}),
    ...(tools?.length ? { tools } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    // temperature/top_p are not sent: the current Messages API (and SDK) no longer takes sampling
    // parameters for its models, so a failed-over request uses the model's defaults.
    ...(format?.type === 'json_schema' && format.json_schema.schema
      ? { output_config: { format: { type: 'json_schema', schema: format.json_schema.schema } } }
      : {}),
  };
}
