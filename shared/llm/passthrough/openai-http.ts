import { StringDecoder } from 'node:string_decoder';
import { Pool } from 'undici';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { UpstreamBadResponseError, UpstreamErrorEvent } from '../errors.ts';
import type { StreamEvent } from '../normalized.ts';
import { openAIParams } from '../providers/openai.ts';
import type { ProviderAdapter, ProviderCall, ProviderConfig } from '../providers/types.ts';
import { fromOpenAICompletion, openAIChunkEvents } from '../translate-response.ts';
import { readableChunks } from './readable-chunks.ts';
import { createSseSplitter } from './sse-splitter.ts';

/**
 * OpenAI over a keep-alive undici Pool instead of the official client: the `passthrough`
 * transport (see LLM_OPENAI_TRANSPORT). The request body is exactly what the SDK adapter sends;
 * replies are read with the same translation functions. What it saves is the client's own
 * machinery on the hot path (fetch, web streams, header building, request logging hooks), which
 * the proxy bench measured at about a third of the proxy's CPU. Besides the usual adapter calls it
 * exposes `openSse`, the upstream event stream as text, which the gateway's pass-through path
 * forwards to an OpenAI client nearly byte for byte.
 */

/** A non-2xx answer: decideFailover reads its status and headers (Retry-After, x-request-id) as it does the SDK's errors'. */
export class OpenAIHttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  constructor(status: number, headers: Record<string, string | string[] | undefined>) {
    super(`openai answered ${status}`);
    this.name = 'OpenAIHttpError';
    this.status = status;
    this.headers = headers;
  }
}

export type OpenAIPassthroughAdapter = ProviderAdapter & {
  /**
   * The upstream event stream after a 2xx status, as it comes off the socket: bytes split
   * anywhere (even inside a character; decode with a StringDecoder), and the provider's id of the
   * request when it sent one.
   */
  openSse(call: ProviderCall): Promise<SseBody>;
  close(): Promise<void>;
};

export type SseBody = AsyncIterable<Buffer | string> & { requestId?: string };

export function createOpenAIHttpAdapter(cfg: ProviderConfig & { timeoutMs: number; connections?: number }): OpenAIPassthroughAdapter {
  const base = new URL(cfg.baseURL.endsWith('/') ? cfg.baseURL : `${cfg.baseURL}/`);
  const path = `${base.pathname}chat/completions`;
  const pool = new Pool(base.origin, {
    connections: cfg.connections ?? 256,
    // Backstops behind the gateway's own watchdog, as the SDK client's timeout is.
    headersTimeout: cfg.timeoutMs,
    bodyTimeout: cfg.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const headersWith = (key: string) => {
    const json = {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'agentplane-llm-gateway',
    };
    return { json, sse: { ...json, accept: 'text/event-stream' } };
  };
  // A fixed key (the proxy's) builds its headers once; a key read at use builds them per request.
  const fixed = typeof cfg.apiKey === 'string' ? headersWith(cfg.apiKey) : undefined;
  const readKey = typeof cfg.apiKey === 'function' ? cfg.apiKey : undefined;

  async function post(body: object, stream: boolean, signal: AbortSignal) {
    const h = fixed ?? headersWith(await readKey!());
    const res = await pool.request({ method: 'POST', path, headers: stream ? h.sse : h.json, body: JSON.stringify(body), signal });
    if (res.statusCode < 200 || res.statusCode > 299) {
      // The error body is read and dropped: it can quote the prompt back, and only the status matters.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw new OpenAIHttpError(res.statusCode, res.headers);
    }
    return res;
  }

  async function openSse(call: ProviderCall): Promise<SseBody> {
    const params = openAIParams(call) as ChatCompletionCreateParams; // a fresh object, completed in place
    params.stream = true;
    params.stream_options = { include_usage: true };
    const res = await post(params, true, call.signal);
    const requestId = res.headers['x-request-id'];
    if (!String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      // An HTML error page with a 200 (a misbehaving gateway in front of the provider) fails over now.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw new UpstreamBadResponseError('openai', { providerRequestId: typeof requestId === 'string' ? requestId : undefined });
    }
    const body: SseBody = readableChunks(res.body);
    if (typeof requestId === 'string') body.requestId = requestId;
    return body;
  }

  return {
    name: 'openai',
    async complete(call) {
      const res = await post(openAIParams(call), false, call.signal);
      // A body that is not JSON throws SyntaxError: a bad response, which fails over.
      return fromOpenAICompletion(JSON.parse(await res.body.text()) as ChatCompletion);
    },
    async stream(call) {
      const text = await openSse(call);
      return (async function* () {
        const split = createSseSplitter();
        const dec = new StringDecoder('utf8');
        const datas: string[] = [];
        for await (const piece of text) {
          split.push(dec.write(piece as Buffer), datas);
          const out: StreamEvent[] = [];
          for (const d of datas) {
            if (d === '[DONE]') continue;
            const c = JSON.parse(d) as ChatCompletionChunk & { error?: unknown };
            if (c && typeof c === 'object' && 'error' in c && c.error)
              throw new UpstreamErrorEvent('openai', { providerRequestId: text.requestId });
            openAIChunkEvents(c, out);
          }
          datas.length = 0;
          if (out.length) yield out;
        }
      })();
    },
    openSse,
    close: () => pool.close(),
  };
}

/** Whether an adapter can hand out the raw event stream (the pass-through transport). */
export function isPassthrough(a: ProviderAdapter | undefined): a is OpenAIPassthroughAdapter {
  return typeof (a as Partial<OpenAIPassthroughAdapter> | undefined)?.openSse === 'function';
}
