import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startInProcessControlPlane } from '../../support/control-plane.ts';

// Every response the control plane emits, including the ones Node and fastify would write on their
// own, is JSON `{error: {code, message}}`; the LLM proxy's routes answer in OpenAI's error shape.
// Requests go over a raw socket, so nothing a client library would fix up gets fixed up.

let h: Awaited<ReturnType<typeof startInProcessControlPlane>>;
let port: number;
/** Valid credentials, so each case fails for the mistake it makes, whatever is checked first. */
let operatorAuth: string;
let agentAuth: string;

before(async () => {
  // A provider key turns the routed LLM proxy on; no request in this file reaches a provider.
  h = await startInProcessControlPlane({ OPENAI_API_KEY: 'sk-unused', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  port = Number(new URL(h.url).port);
  const operator = await h.operatorToken();
  operatorAuth = `Authorization: Bearer ${operator}\r\n`;
  const headers = { authorization: `Bearer ${operator}`, 'content-type': 'application/json' };
  const created = await fetch(`${h.url}/v1/tenants`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'shapes', llmMode: 'routed' }),
  });
  const tenant = ((await created.json()) as { tenant: { id: string } }).tenant.id;
  const issued = await fetch(`${h.url}/v1/tenants/${tenant}/tokens`, { method: 'POST', headers, body: JSON.stringify({ typ: 'agent' }) });
  agentAuth = `Authorization: Bearer ${((await issued.json()) as { token: string }).token}\r\n`;
});
after(() => h?.stop());

type RawResponse = { status: number; headers: Record<string, string>; body: string };

/** Sends bytes as they are and reads the response until the server closes the connection. */
function sendRaw(request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
      const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = raw.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    // Not end(): a client that half-closes has its request aborted by Node before an asynchronous
    // onRequest hook (requireAuth) finishes. Every case here makes the server close the connection.
    socket.write(request);
  });
}

function dechunk(text: string): string {
  let out = '';
  for (let rest = text; ; ) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`;
const post = (path: string, body: string, extra = 'Content-Type: application/json\r\n') =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Asserts the service's shape and returns the code. */
function serviceError(res: RawResponse, status: number): string {
  assert.equal(res.status, status, res.body);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, 'a JSON content type');
  const parsed = JSON.parse(res.body);
  assert.equal(typeof parsed.error?.code, 'string', res.body);
  assert.equal(typeof parsed.error?.message, 'string', res.body);
  return parsed.error.code;
}

/** Asserts OpenAI's shape (what OpenAI clients parse) and returns the code. */
function openAIError(res: RawResponse, status: number): string {
  assert.equal(res.status, status, res.body);
  const parsed = JSON.parse(res.body);
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message', 'param', 'type'], res.body);
  return parsed.error.code;
}

test("headers larger than Node allows: 431 in the JSON shape, not Node's own body", async () => {
  const res = await sendRaw(get('/healthz', `X-Filler: ${'a'.repeat(20_000)}\r\n`));
  assert.equal(serviceError(res, 431), 'headers_too_large');
  assert.equal(res.headers.connection, 'close');
});

test('a request line longer than the header limit is the same 431', async () => {
  assert.equal(serviceError(await sendRaw(get(`/v1/workflows/${'x'.repeat(20_000)}`)), 431), 'headers_too_large');
});

test("a path parameter over the router's length limit: 414 uri_too_long", async () => {
  assert.equal(serviceError(await sendRaw(get(`/v1/workflows/${'x'.repeat(200)}`)), 414), 'uri_too_long');
});

test('a malformed percent escape in the path: 400 invalid_url, without echoing the path', async () => {
  const res = await sendRaw(get('/v1/workflows/%zz-canary'));
  assert.equal(serviceError(res, 400), 'invalid_url');
  assert.doesNotMatch(res.body, /canary/);
});

test('bytes that are not HTTP (Node\'s "Client Error"): 400 malformed_request', async () => {
  for (const garbage of ['HELLO THERE\r\n\r\n', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 'GET / HTTP/1.1\r\nBad Header\r\n\r\n']) {
    assert.equal(serviceError(await sendRaw(garbage), 400), 'malformed_request', JSON.stringify(garbage));
  }
});

test('an HTTP/1.1 request without Host, and an unsupported Expect, are refused in the JSON shape', async () => {
  assert.equal(serviceError(await sendRaw('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'), 400), 'malformed_request');
  assert.equal(serviceError(await sendRaw(get('/healthz', 'Expect: teapot\r\n')), 417), 'expectation_failed');
});

test('unknown routes and known paths with another method: 404 not_found', async () => {
  assert.equal(serviceError(await sendRaw(get('/nothing-here')), 404), 'not_found');
  assert.equal(serviceError(await sendRaw(`DELETE /v1/tenants HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404), 'not_found');
  assert.equal(serviceError(await sendRaw(`PROPFIND /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404), 'not_found');
});

test('framework errors on the API: body too large, wrong media type, broken and empty JSON', async () => {
  const json = `Content-Type: application/json\r\n${operatorAuth}`;
  const big = `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}`;
  assert.equal(serviceError(await sendRaw(post('/v1/tenants', big, json)), 413), 'body_too_large');
  assert.equal(
    serviceError(await sendRaw(post('/v1/tenants', 'name=x', `Content-Type: text/plain\r\n${operatorAuth}`)), 415),
    'unsupported_media_type',
  );
  assert.equal(serviceError(await sendRaw(post('/v1/tenants', '{"name": ', json)), 400), 'invalid_json');
  assert.equal(serviceError(await sendRaw(post('/v1/tenants', '', json)), 400), 'invalid_json');
});

test("the proxy route answers the same mistakes in OpenAI's shape, with the same codes as the API", async () => {
  const chat = '/v1/chat/completions';
  const json = `Content-Type: application/json\r\n${agentAuth}`;
  assert.equal(openAIError(await sendRaw(post(chat, '{"model": ', json)), 400), 'invalid_json');
  assert.equal(openAIError(await sendRaw(post(chat, '', json)), 400), 'invalid_json');
  assert.equal(openAIError(await sendRaw(post(chat, 'hi', `Content-Type: text/plain\r\n${agentAuth}`)), 415), 'unsupported_media_type');
  assert.equal(
    openAIError(await sendRaw(post(chat, '{}', 'Content-Type: application/json\r\nAuthorization: Bearer nope\r\n')), 401),
    'token_invalid',
  );
});

test('after all of it the service still answers', async () => {
  assert.equal((await sendRaw(get('/healthz'))).status, 200);
});
