import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  approxTokens,
  cannedReply,
  createPrefixCache,
  fakeFromSchema,
  fakeToolArguments,
  pieces,
  replyAfterPrefix,
  sendJson,
  sse,
  startFakeServer,
  type FakeProvider,
  type FakeProviderOptions,
} from './server.ts';

/**
 * FAKE OpenAI: `POST /v1/chat/completions` over loopback, speaking the real wire protocol (JSON or
 * SSE `data:` chunks ending in `data: [DONE]`), so the official `openai` client is what gets tested.
 * Replies are canned; usage is simulated, including `prompt_tokens_details.cached_tokens` for a
 * repeated (prompt_cache_key, system + tools) prefix.
 */

type Msg = { role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string };
type Tool = { type: string; function: { name: string; parameters?: unknown } };
type Body = {
  model?: unknown;
  messages?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: Tool[];
  tool_choice?: unknown;
  response_format?: { type?: string; json_schema?: { schema?: unknown } };
  prompt_cache_key?: string;
};

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

function errorBody(status: number, message: string) {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
}

export async function startFakeOpenAI(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const cache = createPrefixCache();
  const checkAuth = (req: IncomingMessage) => {
    const key = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return key !== undefined && (opts.acceptKey?.(key) ?? true);
  };
  return startFakeServer(opts, '/v1/chat/completions', 'x-request-id', checkAuth, errorBody, (raw, res) => {
    const body = raw as Body;
    if (typeof body.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
      sendJson(res, 400, errorBody(400, 'fake provider: model and a non-empty messages array are required'));
      return null;
    }
    const messages = body.messages as Msg[];
    const model = body.model;
    const last = messages[messages.length - 1];
    const prefix = last.role === 'assistant' ? textOf(last.content) : undefined;
    const convo = prefix === undefined ? messages : messages.slice(0, -1);
    const textChars = convo.reduce((n, m) => n + textOf(m.content).length, 0);

    // Prompt cache: the leading system messages plus tool definitions form the cacheable prefix.
    let prefixChars = 0;
    let prefixKey = `${body.prompt_cache_key ?? ''}|${JSON.stringify(body.tools ?? [])}`;
    for (const m of messages) {
      if (m.role !== 'system' && m.role !== 'developer') break;
      prefixKey += `|${textOf(m.content)}`;
      prefixChars += textOf(m.content).length;
    }
    prefixChars += JSON.stringify(body.tools ?? []).length;
    const totalChars = JSON.stringify(messages).length + JSON.stringify(body.tools ?? []).length;
    const promptTokens = approxTokens(totalChars);
    const cachedTokens = prefixChars > 0 && cache.hit(prefixKey) ? Math.min(promptTokens, approxTokens(prefixChars)) : 0;

    const scripted = opts.script?.({
      model,
      tools: (body.tools ?? []).map((t) => t.function.name),
      messages: messages.map((m) => ({
        role: m.role,
        content: textOf(m.content),
        ...(Array.isArray(m.tool_calls)
          ? { toolCalls: (m.tool_calls as Array<{ function: { name: string; arguments: string } }>).map((c) => ({ ...c.function })) }
          : {}),
        ...(m.tool_call_id ? { toolCallId: m.tool_call_id } : {}),
      })),
    });
    const wantsTool =
      !scripted && Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none' && last.role === 'user';
    const forced = (body.tool_choice as { function?: { name?: string } } | undefined)?.function?.name;
    const tool = wantsTool ? (body.tools!.find((t) => t.function.name === forced) ?? body.tools![0]) : undefined;
    const toolCalls = scripted
      ? (scripted.toolCalls ?? []).map((c) => ({
          id: `call_fake_${randomUUID().slice(0, 8)}`,
          type: 'function' as const,
          function: { name: c.name, arguments: c.arguments },
        }))
      : tool
        ? [
            {
              id: `call_fake_${randomUUID().slice(0, 8)}`,
              type: 'function' as const,
              function: { name: tool.function.name, arguments: JSON.stringify(fakeToolArguments(tool.function.parameters)) },
            },
          ]
        : [];
    const toolCall = toolCalls[0];
    // Structured output: a json_schema request gets the smallest valid instance; json_object a small object.
    const schemaFormat = body.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
    const jsonMode = body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema';
    const full = scripted
      ? (scripted.content ?? '')
      : schemaFormat
        ? JSON.stringify(fakeFromSchema(schemaFormat, cannedReply(textChars)))
        : jsonMode
          ? JSON.stringify({ review: cannedReply(textChars) })
          : cannedReply(textChars);
    const text = toolCall ? (scripted?.content ?? '') : replyAfterPrefix(full, prefix);
    const completionTokens = approxTokens(text.length + toolCalls.reduce((n, c) => n + c.function.arguments.length, 0));
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    };
    const id = `chatcmpl-fake-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const finish = toolCall ? 'tool_calls' : 'stop';

    return {
      model,
      stream: body.stream === true,
      async respond(fault) {
        if (body.stream !== true) {
          return sendJson(res, 200, {
            id,
            object: 'chat.completion',
            created,
            model,
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: toolCall && !text ? null : text,
                  refusal: null,
                  ...(toolCall ? { tool_calls: toolCalls } : {}),
                },
                logprobs: null,
                finish_reason: finish,
              },
            ],
            usage,
            system_fingerprint: 'fp_fake',
          });
        }
        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (delta: unknown, finishReason: string | null = null) =>
          `data: ${JSON.stringify({
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
            ...(includeUsage ? { usage: null } : {}),
          })}\n\n`;
        const events: string[] = [chunk({ role: 'assistant', content: '' })];
        if (toolCall) {
          for (const [index, call] of toolCalls.entries()) {
            const args = call.function.arguments;
            events.push(
              chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }),
            );
            for (let i = 0; i < args.length; i += 8)
              events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(i, i + 8) } }] }));
          }
        } else {
          for (const p of pieces(text)) events.push(chunk({ content: p }));
        }
        events.push(chunk({}, finish));
        if (includeUsage)
          events.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
        events.push('data: [DONE]\n\n');

        const write = sse(res, opts.chunkDelayMs);
        if (opts.burst && !fault) {
          res.end(events.join(''));
          return;
        }
        const resetAt = fault && 'resetAfterChunks' in fault ? fault.resetAfterChunks : Infinity;
        const stallAt = fault && 'stallAfterChunks' in fault ? Math.min(fault.stallAfterChunks, events.length - 1) : Infinity;
        for (let i = 0; i < events.length; i++) {
          if (i >= stallAt) return; // nothing more; the socket stays open until the client leaves
          if (i >= resetAt) {
            res.destroy();
            return;
          }
          await write(events[i]);
        }
        res.end();
      },
    };
  });
}
