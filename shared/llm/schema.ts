import { z } from 'zod';
import { LlmInvalidRequestError } from './errors.ts';

/**
 * The OpenAI chat.completions request subset the gateway serves, as a strict schema. Unknown
 * top-level fields are rejected with a 400 that names them: the official client only sends fields
 * its caller set, so a stray field is a caller mistake (or a feature we would silently drop), and
 * strictness keeps anything we do not understand from being forwarded to a provider. Known OpenAI
 * fields the gateway cannot honour on both providers are rejected by value (n > 1, audio, ...).
 */

const text = z.string().max(4_000_000);
const textPart = z.strictObject({ type: z.literal('text'), text });
const imagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({ url: z.string().max(20_000_000), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const refusalPart = z.strictObject({ type: z.literal('refusal'), refusal: text });
const name = z.string().min(1).max(64).optional();

const toolCall = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1).max(128), arguments: z.string().max(4_000_000) }),
});

export const messageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.union([text, z.array(textPart).min(1)]), name }),
  z.strictObject({ role: z.literal('developer'), content: z.union([text, z.array(textPart).min(1)]), name }),
  z.strictObject({ role: z.literal('user'), content: z.union([text, z.array(z.union([textPart, imagePart])).min(1)]), name }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.union([text, z.array(z.union([textPart, refusalPart]))]).nullish(),
    refusal: z.string().nullish(),
    tool_calls: z.array(toolCall).max(128).optional(),
    name,
  }),
  z.strictObject({ role: z.literal('tool'), content: z.union([text, z.array(textPart).min(1)]), tool_call_id: z.string().min(1).max(200) }),
]);

const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -'),
    description: z.string().max(100_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().min(1).max(64) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().min(1).max(64),
      description: z.string().max(10_000).optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatRequestSchema = z.strictObject({
  model: z.string().min(1).max(100),
  messages: z.array(messageSchema).min(1).max(5000),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullish(),
  tools: z.array(toolSchema).max(128).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(4)]).nullish(),
  n: z.literal(1).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().max(256).optional(),
  safety_identifier: z.string().max(256).optional(),
  // Accepted but replaced: the gateway scopes cache keys per tenant and agent itself.
  prompt_cache_key: z.string().max(256).optional(),
  metadata: z.record(z.string(), z.string().max(512)).nullish(),
  store: z.boolean().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ChatTool = z.infer<typeof toolSchema>;

/** Validates a request (from HTTP or from in-process callers); the 400 names every problem. */
export function parseChatRequest(input: unknown): ChatRequest {
  const r = chatRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 10).map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.join(', ')}${path ? ` in ${path}` : ''}`;
    return `${path || 'body'}: ${i.message}`;
  });
  const first = r.error.issues[0];
  throw new LlmInvalidRequestError(`invalid request: ${problems.join('; ')}`, {
    param: first?.path.length ? first.path.join('.') : null,
  });
}

/** Plain text of a message's content (parts joined); images contribute nothing. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const p of content as { type?: string; text?: string; refusal?: string }[]) {
    if (p.type === 'text' && typeof p.text === 'string') out += p.text;
    else if (p.type === 'refusal' && typeof p.refusal === 'string') out += p.refusal;
  }
  return out;
}
