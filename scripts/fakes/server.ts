import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { createFaultController, faultName, type Fault, type FaultScope, type FakeRequestRecord } from './faults.ts';

/** What both FAKE provider servers return to their caller. */
export type FakeProvider = {
  /** Base URL to give an SDK client (already ends in /v1). */
  url: string;
  close(): Promise<void>;
  setFault(fault: Fault | null, scope?: FaultScope): void;
  /** Sizes and models of the requests received; never their content. */
  requests: { readonly count: number; readonly log: readonly FakeRequestRecord[]; reset(): void };
};

export type FakeProviderOptions = {
  /**
   * Delay between streamed chunks, to make streams observable in the demo. Read as each stream
   * starts, so a caller holding the options object may change it between requests (the cost bench
   * does, to warm up without it).
   */
  chunkDelayMs?: number;
  /**
   * Send a whole event stream in one write (OpenAI fake), as events that queued up in the network
   * reach a proxy in one read. Ignored under a reset or stall fault.
   */
  burst?: boolean;
  /** Keep at most this many request records (the bench sends many). */
  maxLog?: number;
  /** How long an idle keep-alive connection stays open; 0: until the client closes it. Default 30 s. */
  keepAliveTimeoutMs?: number;
  clock?: () => number;
  /**
   * Which keys the provider accepts (its side of a key rotation: an old key revoked answers 401).
   * Read at each request. Default: any non-empty key.
   */
  acceptKey?: (key: string) => boolean;
  /**
   * FAKE OpenAI only: a programmable model. Called with each chat request; what it returns is the
   * reply (text, or tool calls), sent over the real wire protocol. Undefined = the canned behaviour.
   */
  script?: (request: ScriptedRequest) => ScriptedReply | undefined;
};

/** A chat request as a script sees it: messages with their text, and the names of the tools offered. */
export type ScriptedRequest = {
  model: string;
  messages: Array<{ role: string; content: string; toolCalls?: Array<{ name: string; arguments: string }>; toolCallId?: string }>;
  tools: string[];
};
export type ScriptedReply = { content?: string; toolCalls?: Array<{ name: string; arguments: string }> };

export type Handled = {
  model: string;
  stream: boolean;
  /** Runs the normal (or faulted) reply. */
  respond(fault: Fault | null): Promise<void> | void;
};

/**
 * The HTTP shell both fakes share: loopback listener, body parsing, auth presence check, request
 * records and fault dispatch. Each provider supplies `route`, which parses its own wire format, and
 * the header its real counterpart names each request by (`x-request-id`, `request-id`).
 */
export async function startFakeServer(
  opts: FakeProviderOptions,
  path: string,
  requestIdHeader: string,
  checkAuth: (req: IncomingMessage) => boolean,
  errorBody: (status: number, message: string) => unknown,
  route: (body: unknown, res: ServerResponse) => Handled | null,
): Promise<FakeProvider> {
  const clock = opts.clock ?? Date.now;
  const faults = createFaultController(clock);
  const maxLog = opts.maxLog ?? 1000;
  let log: FakeRequestRecord[] = [];
  let count = 0;
  let delayed = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== path) {
      return sendJson(res, 404, errorBody(404, 'fake provider: unknown route'));
    }
    if (!checkAuth(req)) return sendJson(res, 401, errorBody(401, 'fake provider: missing API key'));
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, errorBody(400, 'fake provider: body is not JSON'));
    }
    const handled = route(body, res);
    if (!handled) return; // route already answered (validation error)
    const fault = faults.take();
    count += 1;
    const requestId = `req_fake_${count}`;
    res.setHeader(requestIdHeader, requestId);
    log.push({ model: handled.model, bytes: raw.length, stream: handled.stream, fault: faultName(fault), at: clock(), requestId });
    // Trimmed a quarter at a time, not one entry per request: copying a full log on every request
    // cost a long-running bench ~2 ms per request once the log was full.
    if (log.length > maxLog) log = log.slice(-Math.max(1, Math.floor(maxLog * 0.75)));
    if (fault && 'latencyMs' in fault) {
      delayed += 1;
      await sleep(fault.latencyMs + (fault.spreadMs ? fault.spreadMs * ((delayed * 0.6180339887) % 1) : 0));
    }
    if (fault && 'hang' in fault) return; // the socket stays open until the client gives up
    if (fault && 'stallAfterChunks' in fault && !handled.stream) return; // likewise
    if (fault && 'status' in fault) {
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter));
      return sendJson(res, fault.status, fault.body ?? errorBody(fault.status, `fake provider: injected ${fault.status}`));
    }
    if (fault && 'nonJson' in fault) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>fake provider: bad gateway page</body></html>');
      return;
    }
    if (fault && 'resetAfterChunks' in fault && !handled.stream) {
      res.destroy();
      return;
    }
    await handled.respond(fault);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setFault: (fault, scope) => faults.set(fault, scope),
    requests: {
      get count() {
        return count;
      },
      get log() {
        return log;
      },
      reset() {
        count = 0;
        log = [];
      },
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts an SSE response; `write` resolves after the optional inter-chunk delay. */
export function sse(res: ServerResponse, chunkDelayMs = 0) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Waiting for the write callback means a later socket reset cannot swallow chunks already "sent".
  return async (text: string) => {
    await new Promise<void>((resolve) => res.write(text, () => resolve()));
    if (chunkDelayMs > 0) await sleep(chunkDelayMs);
  };
}

/**
 * The canned reply. It depends only on how much non-assistant text the conversation holds, so the
 * FAKE OpenAI and the FAKE Anthropic answer the same conversation with the same words, which lets
 * tests check that a failed-over stream reads as one reply. It says nothing about the input.
 */
export function cannedReply(textChars: number): string {
  const digest = createHash('sha256').update(String(textChars)).digest('hex').slice(0, 8);
  return `Fake review ${digest}: the change reads cleanly. Consider one more test for the empty case. No blocking issues.`;
}

/**
 * When the conversation ends with an assistant prefix that starts the canned reply (a continuation
 * after a broken stream), only the rest is sent, as a real model continuing a prefill would.
 */
export function replyAfterPrefix(full: string, prefix: string | undefined): string {
  if (prefix && full.startsWith(prefix)) return full.slice(prefix.length);
  return full;
}

/** Splits a reply into word-sized stream pieces (whitespace stays attached to the next word). */
export function pieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [''];
}

/** Rough token estimate: good enough for a fake's usage numbers, which must only be consistent. */
export function approxTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Fills a tool's required arguments with placeholder values of the declared types. */
export function fakeToolArguments(schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as { properties?: Record<string, { type?: string }>; required?: string[] };
  for (const name of s.required ?? []) {
    const type = s.properties?.[name]?.type;
    out[name] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : 'fake-value';
  }
  return out;
}

/**
 * The smallest value valid for a JSON schema (required properties only, empty arrays, the first enum
 * member), with `text` for strings: a structured-output reply that says nothing about the input.
 */
export function fakeFromSchema(schema: unknown, text: string): unknown {
  if (!schema || typeof schema !== 'object') return {};
  const s = schema as {
    type?: string | string[];
    properties?: Record<string, unknown>;
    required?: string[];
    enum?: unknown[];
    const?: unknown;
    items?: unknown;
    minItems?: number;
    minimum?: number;
    anyOf?: unknown[];
    oneOf?: unknown[];
    maxLength?: number;
  };
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return fakeFromSchema(alt[0], text);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || (!type && s.properties)) {
    const out: Record<string, unknown> = {};
    for (const name of s.required ?? []) out[name] = fakeFromSchema(s.properties?.[name], text);
    return out;
  }
  if (type === 'array') return s.minItems ? [fakeFromSchema(s.items, text)] : [];
  if (type === 'string') return s.maxLength ? text.slice(0, s.maxLength) : text;
  if (type === 'number' || type === 'integer') return s.minimum ?? 0;
  if (type === 'boolean') return false;
  if (type === 'null') return null;
  return {};
}

/** Shared by both fakes: the prompt-cache simulation remembers prefixes it has "cached". */
export function createPrefixCache(max = 1000) {
  const seen = new Set<string>();
  return {
    /** True when this prefix was seen before; records it either way. */
    hit(key: string): boolean {
      const h = createHash('sha256').update(key).digest('hex');
      if (seen.has(h)) return true;
      if (seen.size >= max) seen.clear();
      seen.add(h);
      return false;
    },
  };
}
