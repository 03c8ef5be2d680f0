import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createHttpApp } from '../../../../../control-plane/http/app.ts';
import { clientErrorHandler, clientErrorOf } from '../../../../../control-plane/http/middleware/error-handler/index.ts';
import { createLogger } from '../../../../../shared/log.ts';

const silent = createLogger({ service: 'test', level: 'silent' });

test('a request that arrives while the server drains gets 503 shutting_down with Retry-After, in the JSON shape', async (t) => {
  const app = createHttpApp({ log: silent });
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  app.get('/slow', async () => {
    entered();
    await released;
    return { ok: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  const url = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  t.after(() => app.close());

  const socket = connect({ port: Number(url.port), host: '127.0.0.1' });
  const received: Buffer[] = [];
  socket.on('data', (c) => received.push(c));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await inHandler;
  const closing = app.close();
  await sleep(50); // preClose has run; the busy connection stays open for its request in flight
  socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(50);
  release();
  await closing;
  await closed;

  const text = Buffer.concat(received).toString('utf8');
  const responses = text.split(/(?=HTTP\/1\.1 )/);
  assert.equal(responses.length, 2, text);
  assert.match(responses[0], /^HTTP\/1\.1 200 /, 'the request in flight finishes');
  assert.match(responses[1], /^HTTP\/1\.1 503 /);
  assert.match(responses[1], /\r\nretry-after: 1\r\n/i);
  const body = JSON.parse(responses[1].slice(responses[1].indexOf('\r\n\r\n') + 4));
  assert.deepEqual(body, { error: { code: 'shutting_down', message: 'this replica is shutting down; retry' } });
});

/** A socket stand-in that records what the handler writes. */
function recordingSocket(): Socket & { written: string; wasDestroyed: boolean } {
  const s = {
    written: '',
    wasDestroyed: false,
    writable: true,
    destroyed: false,
    write(chunk: string) {
      s.written += chunk;
      return true;
    },
    destroy() {
      s.wasDestroyed = true;
      s.destroyed = true;
    },
  };
  return s as unknown as Socket & { written: string; wasDestroyed: boolean };
}

test('a request Node timed out is answered 408 request_timeout in the JSON shape and the connection closed', () => {
  const socket = recordingSocket();
  clientErrorHandler(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
  assert.match(socket.written, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(socket.written, /\r\nConnection: close\r\n/);
  const body = socket.written.slice(socket.written.indexOf('\r\n\r\n') + 4);
  assert.equal(JSON.parse(body).error.code, 'request_timeout');
  assert.match(socket.written, new RegExp(`Content-Length: ${Buffer.byteLength(body)}\\r\\n`));
  assert.ok(socket.wasDestroyed);
});

test('a connection the client reset gets no answer', () => {
  const socket = recordingSocket();
  clientErrorHandler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
  assert.equal(socket.written, '');
});

test('fastify client errors map to one code table; server-side errors are not client errors', () => {
  const fe = (code: string, statusCode: number, message = 'm') => Object.assign(new Error(message), { code, statusCode });
  assert.deepEqual(clientErrorOf(fe('FST_ERR_CTP_EMPTY_JSON_BODY', 400)), { status: 400, code: 'invalid_json', message: 'm' });
  assert.equal(clientErrorOf(fe('FST_ERR_CTP_INVALID_JSON_BODY', 400))?.code, 'invalid_json');
  assert.equal(clientErrorOf(fe('FST_ERR_CTP_BODY_TOO_LARGE', 413))?.code, 'body_too_large');
  assert.equal(clientErrorOf(fe('SOMETHING_NEW', 400))?.code, 'bad_request');
  assert.equal(clientErrorOf(fe('FST_ERR_BAD_URL', 400, "'/secret-path' is not a valid url component"))?.message.includes('secret'), false);
  assert.equal(clientErrorOf(fe('FST_ERR_ASYNC_CONSTRAINT', 500)), undefined);
  assert.equal(clientErrorOf(new Error('plain')), undefined);
});
