import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInProcessControlPlane } from '../../support/control-plane.ts';

const REQUEST_TIMEOUT_MS = 2000;
const MAX_PER_CLIENT = 100;

/** One request from another client address (127.0.0.2): what every other customer sees. */
function timedRequest(url: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(url);
  const t0 = performance.now();
  return new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, localAddress: '127.0.0.2', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1];

type Held = { socket: Socket; kind: string; closedAt?: number; response: string };

test('300 connections holding half-sent requests are cut, and the API stays responsive to other clients meanwhile', async (t) => {
  const h = await startInProcessControlPlane({
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_HEADERS_TIMEOUT_MS: '1000',
    HTTP_MAX_CONNECTIONS_PER_CLIENT: String(MAX_PER_CLIENT),
  });
  const held: Held[] = [];
  t.after(async () => {
    for (const x of held) x.socket.destroy();
    await h.stop();
  });
  const op = await h.operatorToken();
  const created = await fetch(`${h.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'acme' }),
  });
  const tenant = ((await created.json()) as { tenant: { id: string } }).tenant.id;
  const api = await h.cp.issuer.issue({ typ: 'api', tenant, ttlSeconds: 600 });
  const { hostname, port } = new URL(h.url);

  const probe = async () => {
    const health = await timedRequest(h.url, 'GET', '/healthz', {});
    const wf = await timedRequest(
      h.url,
      'POST',
      '/v1/workflows',
      { authorization: `Bearer ${api}`, 'content-type': 'application/json' },
      JSON.stringify({ template: 'index-only', repo: 'sample' }),
    );
    return [health, wf];
  };
  const baseline: number[] = [];
  for (let i = 0; i < 20; i++) for (const r of await probe()) baseline.push(r.ms);

  // The slow clients, all from 127.0.0.1: bodies promised but never finished, with and without a
  // token, and headers never finished.
  const heads = {
    'authorized body': `POST /v1/workflows HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${api}\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{"template":`,
    'unauthorized body':
      'POST /v1/workflows HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{"template":',
    'unfinished headers': 'POST /v1/workflows HTTP/1.1\r\nhost: x\r\ncontent-type: appl',
  };
  const started = performance.now();
  for (let i = 0; i < 300; i++) {
    const kind = Object.keys(heads)[i % 3] as keyof typeof heads;
    const socket = connect({ host: hostname, port: Number(port), localAddress: '127.0.0.1' });
    const x: Held = { socket, kind, response: '' };
    socket.on('data', (b) => (x.response += b.toString()));
    socket.on('error', () => {});
    socket.on('close', () => (x.closedAt = performance.now() - started));
    socket.on('connect', () => socket.write(heads[kind]));
    held.push(x);
  }
  // Trickle a byte now and then, as a slow-loris client does, so no idle timer saves the server.
  const trickle = setInterval(() => {
    for (const x of held) if (x.closedAt === undefined && x.kind !== 'unfinished headers') x.socket.write(' ');
  }, 200);
  t.after(() => clearInterval(trickle));

  const during: number[] = [];
  while (performance.now() - started < REQUEST_TIMEOUT_MS + 500) {
    for (const r of await probe()) {
      assert.ok(r.status === 200 || r.status === 202, `a request from another client got ${r.status}`);
      during.push(r.ms);
    }
  }
  const deadline = REQUEST_TIMEOUT_MS + 1000 + 3000;
  while (held.some((x) => x.closedAt === undefined) && performance.now() - started < deadline) await sleep(50);
  clearInterval(trickle);

  const open = held.filter((x) => x.closedAt === undefined);
  assert.equal(open.length, 0, `${open.length} slow connections were still open ${deadline} ms after they started`);
  const refusedAtCap = held.filter((x) => x.response === '');
  const unauthorized = held.filter((x) => x.kind === 'unauthorized body' && x.response !== '');
  // 200 of them never finish before the timeouts: at most MAX_PER_CLIENT of those can have been let in.
  assert.ok(
    refusedAtCap.length >= 200 - MAX_PER_CLIENT,
    `${refusedAtCap.length} connections over the per-client cap were closed unanswered`,
  );
  for (const x of unauthorized) {
    assert.match(x.response, /^HTTP\/1\.1 401 /, 'a request without a token is refused before its body is read');
    assert.ok(x.closedAt! < REQUEST_TIMEOUT_MS, 'and its connection is closed with the refusal, not held until the timeout');
  }
  for (const x of held.filter((y) => y.kind !== 'unauthorized body' && y.response !== '')) {
    assert.match(x.response, /^HTTP\/1\.1 408 /, `${x.kind}: a request that never completes is cut at its timeout`);
  }
  const base = Math.max(p99(baseline), 5);
  assert.ok(p99(during) <= 20 * base, `p99 of other clients: ${p99(during).toFixed(1)} ms during, ${p99(baseline).toFixed(1)} ms before`);
});
