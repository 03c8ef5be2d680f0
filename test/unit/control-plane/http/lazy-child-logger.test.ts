import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createHttpApp } from '../../../../control-plane/http/app.ts';
import { createLogger } from '../../../../shared/log.ts';

function capturedApp() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const log = createLogger({ service: 't', destination });
  let children = 0;
  // pino children inherit from their parent, so the counter must call through with their `this`.
  const child = log.child;
  log.child = function (this: typeof log, ...args: Parameters<typeof log.child>) {
    children += 1;
    return child.apply(this, args);
  } as typeof log.child;
  const app = createHttpApp({ log });
  app.get('/quiet', { logLevel: 'warn' }, async (req) => {
    req.log.info({ note: 'below the route level' }, 'not written');
    return { ok: true };
  });
  app.get('/loud', { logLevel: 'warn' }, async (req) => {
    req.log.warn({ config: { apiKey: 'sk-canary-123' } }, 'route warning');
    return { ok: true };
  });
  app.get('/nested', { logLevel: 'warn' }, async (req) => {
    assert.equal(req.log.level, 'warn');
    req.log.child({ step: 'verify' }).warn('nested warning');
    return { ok: true };
  });
  return { app, lines, children: () => children };
}

test('request log lines carry the request id and stay redacted', async () => {
  const { app, lines } = capturedApp();
  const res = await app.inject({ method: 'GET', url: '/loud', headers: { 'x-request-id': 'req-lazy-1' } });
  assert.equal(res.statusCode, 200);
  const line = lines.find((l) => l.msg === 'route warning');
  assert.ok(line, 'the warning was written');
  assert.equal(line.reqId, 'req-lazy-1');
  assert.equal(line.service, 't');
  assert.doesNotMatch(JSON.stringify(lines), /sk-canary-123/);
  await app.inject({ method: 'GET', url: '/nested', headers: { 'x-request-id': 'req-lazy-2' } });
  const nested = lines.find((l) => l.msg === 'nested warning');
  assert.equal(nested?.reqId, 'req-lazy-2');
  assert.equal(nested?.step, 'verify');
  await app.close();
});

test('a request that writes nothing at its route level costs no child logger', async () => {
  const { app, lines, children } = capturedApp();
  await app.ready();
  const atStart = children(); // fastify's own, made once while booting
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ method: 'GET', url: '/quiet' })).statusCode, 200);
  assert.equal(children() - atStart, 0);
  assert.equal(lines.filter((l) => l.msg === 'not written').length, 0);
  await app.inject({ method: 'GET', url: '/loud' });
  assert.equal(children() - atStart, 1, 'the first enabled line makes the child');
  await app.close();
});
