import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createLogger, logDestination, requestForLog, silentLogger } from '../../../shared/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(...chunk.toString().trim().split('\n'));
      cb();
    },
  });
  return { log: createLogger({ service: 't', destination }), lines, last: () => JSON.parse(lines.at(-1)!) };
}

const SECRET = 'canary-9f3b2c';

test('authorization headers, cookies and secret-named fields are redacted even when a whole object is logged', () => {
  const { log, lines } = capture();
  log.info(
    { req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1' } }, config: { password: 'hunter2', apiKey: 'sk-live' } },
    'hello',
  );
  assert.doesNotMatch(lines.join('\n'), /abc\.def\.ghi|sid=1|hunter2|sk-live/);
});

test('a secret-named field is redacted at any depth, in arrays, and by header name', () => {
  const { log, lines, last } = capture();
  log.warn(
    {
      cfg: { hub: { url: 'nats://hub:7422', password: SECRET } },
      upstream: { status: 502, headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, 'content-type': 'application/json' } },
      proxy: { headers: { 'Proxy-Authorization': SECRET, Cookie: SECRET, 'set-cookie': [SECRET] } },
      attempts: [{ provider: 'openai', apiKey: SECRET }, [{ deeper: { client_secret: SECRET, enrollToken: SECRET, pass: SECRET } }]],
    },
    'upstream failed',
  );
  assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
  const line = last();
  assert.equal(line.cfg.hub.password, '[redacted]');
  assert.equal(line.cfg.hub.url, 'nats://hub:7422', 'fields that are not secrets stay');
  assert.equal(line.upstream.headers.authorization, '[redacted]');
  assert.equal(line.upstream.headers['content-type'], 'application/json');
  assert.equal(line.attempts[0].provider, 'openai');
});

test('errors are logged with type, message and stack, and their properties and cause chain are redacted too', () => {
  const { log, lines, last } = capture();
  const root = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED', config: { password: SECRET } });
  const err = Object.assign(new Error('could not reach the hub', { cause: root }), { headers: { authorization: SECRET } });
  log.error({ err, wrapped: new AggregateError([new Error('inner')], 'many') }, 'failed');
  assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
  const line = last();
  assert.equal(line.err.type, 'Error');
  assert.equal(line.err.message, 'could not reach the hub');
  assert.match(line.err.stack, /could not reach the hub/);
  assert.equal(line.err.cause.code, 'ECONNREFUSED');
  assert.equal(line.err.cause.config.password, '[redacted]');
  assert.equal(line.wrapped.errors[0].message, 'inner');
});

test('a private JWK logged by mistake loses its private members; bindings of child loggers are redacted', () => {
  const { log, lines, last } = capture();
  log.child({ session: { token: SECRET } }).info({ key: { kty: 'OKP', crv: 'Ed25519', x: 'public-x', d: SECRET } }, 'key');
  assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
  assert.equal(last().key.x, 'public-x');
});

test('a circular object is logged without hanging and without its secrets', () => {
  const { log, lines } = capture();
  const a: Record<string, unknown> = { secret: SECRET };
  a.self = a;
  log.info({ a }, 'loop');
  assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
  assert.match(lines.join('\n'), /\[circular\]/);
});

test('a request is logged by its path and query parameter names, never query values', () => {
  const { log, last } = capture();
  const jwt = `eyJhbGciOiJFZERTQSJ9.eyJ0ZW5hbnQiOiIke30ifQ.${SECRET}`;
  const req = { method: 'GET', url: `/v1/usage?access_token=${SECRET}&from=2026-01-01&${jwt}`, ip: '10.0.0.1', socket: {} };
  log.info({ req }, 'incoming request');
  const line = last();
  assert.equal(JSON.stringify(line).includes(SECRET), false);
  assert.equal(line.req.path, '/v1/usage');
  assert.deepEqual(line.req.queryKeys, ['access_token', 'from']);
  assert.equal(line.req.queryOtherKeys, 1);
});

test('a log line is written before the logging call returns, so a crash right after cannot lose it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'agentplane-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'service.log');
  const log = createLogger({ service: 't', destination: logDestination(file) });
  log.info({ step: 'before-crash' }, 'written at once');
  const line = JSON.parse(readFileSync(file, 'utf8').trim());
  assert.equal(line.msg, 'written at once');
  assert.equal(line.step, 'before-crash');
});

test('fastify logs each request by method and path and each reply by status, even when the request carries credentials', async (t) => {
  // A fastify request and reply keep their fields behind getters: copied field by field for redaction,
  // they would lose them. Their serializers write a fixed safe shape, so redaction leaves them alone.
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(...chunk.toString().trim().split('\n'));
      cb();
    },
  });
  const app = Fastify({ loggerInstance: createLogger({ service: 'api', destination }) });
  t.after(() => app.close());
  app.get('/v1/things/:id', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: `/v1/things/7?token=${SECRET}`, headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET } });
  assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
  const [incoming, completed] = lines.map((l) => JSON.parse(l));
  assert.equal(incoming.service, 'api', 'every line names its service');
  assert.deepEqual(incoming.req, {
    method: 'GET',
    path: '/v1/things/7',
    host: 'localhost:80',
    remoteAddress: '127.0.0.1',
    queryKeys: ['token'],
  });
  assert.deepEqual(completed.res, { statusCode: 200 });
});

test('a request is logged with exactly its path when there is no query, and a path longer than 256 characters is cut', () => {
  assert.deepEqual(requestForLog({ method: 'GET', url: '/v1/usage' }), {
    method: 'GET',
    path: '/v1/usage',
    host: undefined,
    remoteAddress: undefined,
    remotePort: undefined,
  });
  assert.equal(requestForLog({ method: 'GET' }).path, '', 'no URL, no invented path');
  const long = `/v1/${'a'.repeat(400)}`;
  assert.equal(requestForLog({ url: `${long}?q=1` }).path, long.slice(0, 256));
  assert.equal(requestForLog({ url: long }).path, long.slice(0, 256));
});

test('at most 20 query parameter names are logged, the rest only counted; no count when every name was logged', () => {
  const many = Array.from({ length: 25 }, (_, i) => `p${i}=v`).join('&');
  const logged = requestForLog({ url: `/search?${many}` });
  assert.deepEqual(
    logged.queryKeys,
    Array.from({ length: 20 }, (_, i) => `p${i}`),
  );
  assert.equal(logged.queryOtherKeys, 5);
  const plain = requestForLog({ url: '/search?q=1&page=2' });
  assert.deepEqual(plain.queryKeys, ['q', 'page']);
  assert.equal('queryOtherKeys' in plain, false);
});

test("a logger's line rewrite is applied to every line before it is written (how the customer plane masks run secrets)", () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ service: 't', destination, rewriteLine: (line) => line.replaceAll(SECRET, '***') });
  log.info({ output: `deploy key is ${SECRET}` }, `echo ${SECRET}`);
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0], new RegExp(SECRET));
  assert.equal(JSON.parse(lines[0]).output, 'deploy key is ***');
});

test('the silent logger drops every level, fatal included', () => {
  const log = silentLogger();
  assert.equal(log.level, 'silent');
  assert.equal(log.isLevelEnabled('fatal'), false);
});
