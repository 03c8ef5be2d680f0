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
 * FAKE Anthropic: `POST /v1/messages` over loopback with the real wire protocol (JSON, or the SSE
 * event stream message_start → content_block_* → message_delta → message_stop), so the official
 * `@anthropic-ai/sdk` client is what gets tested. Prompt caching is simulated from `cache_control`
 * breakpoints: the first request with a prefix reports cache_creation_input_tokens, repeats report
 * cache_read_input_tokens, and input_tokens counts only the rest, as the real API does.
 */

type Block = { type: string; text?: string; content?: unknown; cache_control?: unknown; name?: string; input?: unknown };
type Msg = { role: string; content: string | Block[] };
type Tool = { name: string; input_schema?: unknown; cache_control?: unknown };
type Body = {
  model?: unknown;
  max_tokens?: unknown;
  messages?: unknown;
  system?: string | Block[];
  tools?: Tool[];
  tool_choice?: { type?: string; name?: string };
  stream?: boolean;
  output_config?: { format?: { type?: string; schema?: unknown } };
};

function blocks(content: string | Block[] | undefined): Block[] {
  if (content === undefined) return [];
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function blockText(b: Block): string {
  if (b.type === 'text') return b.text ?? '';
  if (b.type === 'tool_result')
    return typeof b.content === 'string'
      ? b.content
      : blocks(b.content as Block[])
          .map(blockText)
          .join('');
  return '';
}

function errorBody(status: number, message: string) {
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status >= 500
          ? 'api_error'
          : status === 401
            ? 'authentication_error'
            : 'invalid_request_error';
  return { type: 'error', error: { type, message } };
}

export async function startFakeAnthropic(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const cache = createPrefixCache();
  // Newer SDKs send the key as a bearer token, older ones as x-api-key; the real API takes both.
  const checkAuth = (req: IncomingMessage) => {
    const header = req.headers['x-api-key'];
    const key = typeof header === 'string' && header !== '' ? header : /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return key !== undefined && (opts.acceptKey?.(key) ?? true);
  };
  return startFakeServer(opts, '/v1/messages', 'request-id', checkAuth, errorBody, (raw, res) => {
    const body = raw as Body;
    const bad = (message: string) => {
      sendJson(res, 400, errorBody(400, `fake provider: ${message}`));
      return null;
    };
    if (typeof body.model !== 'string') return bad('model: field required');
    if (typeof body.max_tokens !== 'number') return bad('max_tokens: field required');
    if (!Array.isArray(body.messages) || body.messages.length === 0) return bad('messages: at least one message is required');
    const messages = body.messages as Msg[];
    if (messages.some((m) => m.role !== 'user' && m.role !== 'assistant')) return bad('messages: roles must be user or assistant');
    const model = body.model;
    const last = messages[messages.length - 1];
    const prefix = last.role === 'assistant' ? blocks(last.content).map(blockText).join('') : undefined;
    if (prefix !== undefined && /\s$/.test(prefix)) return bad('final assistant content cannot end with trailing whitespace');
    const convo = prefix === undefined ? messages : messages.slice(0, -1);
    const systemText = blocks(body.system).map(blockText).join('');
    const textChars = systemText.length + convo.reduce((n, m) => n + blocks(m.content).map(blockText).join('').length, 0);

    // Everything up to the last cache_control breakpoint (tools, then system, then messages) is the prefix.
    const ordered: unknown[] = [...(body.tools ?? []), ...blocks(body.system), ...messages.flatMap((m) => blocks(m.content))];
    let cut = -1;
    ordered.forEach((item, i) => {
      if ((item as { cache_control?: unknown }).cache_control) cut = i;
    });
    const prefixJson = cut >= 0 ? JSON.stringify(ordered.slice(0, cut + 1)) : '';
    const prefixTokens = approxTokens(prefixJson.length);
    const hit = cut >= 0 && cache.hit(`${model}|${prefixJson}`);
    const totalTokens = approxTokens(JSON.stringify(ordered).length);
    const usageIn = {
      input_tokens: Math.max(1, totalTokens - (cut >= 0 ? prefixTokens : 0)),
      cache_creation_input_tokens: cut >= 0 && !hit ? prefixTokens : 0,
      cache_read_input_tokens: hit ? prefixTokens : 0,
    };

    const lastIsToolResult = blocks(last.content).some((b) => b.type === 'tool_result');
    const choice = body.tool_choice?.type ?? 'auto';
    const wantsTool = (body.tools?.length ?? 0) > 0 && choice !== 'none' && last.role === 'user' && !lastIsToolResult;
    const tool = wantsTool ? (body.tools!.find((t) => t.name === body.tool_choice?.name) ?? body.tools![0]) : undefined;
    const toolUse = tool && {
      type: 'tool_use' as const,
      id: `toolu_fake_${randomUUID().slice(0, 8)}`,
      name: tool.name,
      input: fakeToolArguments(tool.input_schema),
    };
    // Structured output (output_config.format json_schema): the smallest valid instance of the schema.
    const schema = body.output_config?.format?.type === 'json_schema' ? body.output_config.format.schema : undefined;
    const full = schema ? JSON.stringify(fakeFromSchema(schema, cannedReply(textChars))) : cannedReply(textChars);
    const text = toolUse ? '' : replyAfterPrefix(full, prefix);
    const outputTokens = approxTokens(text.length + (toolUse ? JSON.stringify(toolUse.input).length : 0));
    const stopReason = toolUse ? 'tool_use' : 'end_turn';
    const id = `msg_fake_${randomUUID()}`;

    return {
      model,
      stream: body.stream === true,
      async respond(fault) {
        if (body.stream !== true) {
          return sendJson(res, 200, {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: toolUse ? [toolUse] : [{ type: 'text', text }],
            stop_reason: stopReason,
            stop_sequence: null,
            usage: { ...usageIn, output_tokens: outputTokens },
          });
        }
        const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
        const events = [
          ev('message_start', {
            message: {
              id,
              type: 'message',
              role: 'assistant',
              model,
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { ...usageIn, output_tokens: 1 },
            },
          }),
        ];
        if (toolUse) {
          events.push(ev('content_block_start', { index: 0, content_block: { ...toolUse, input: {} } }));
          const json = JSON.stringify(toolUse.input);
          for (let i = 0; i < json.length; i += 8) {
            events.push(ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 8) } }));
          }
        } else {
          events.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
          events.push(ev('ping', {}));
          for (const p of pieces(text)) events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } }));
        }
        events.push(ev('content_block_stop', { index: 0 }));
        events.push(
          ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }),
        );
        events.push(ev('message_stop', {}));

        const write = sse(res, opts.chunkDelayMs);
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
