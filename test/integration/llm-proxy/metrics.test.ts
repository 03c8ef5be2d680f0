import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInstrumentation } from '../../../control-plane/instrumentation.ts';
import { createLlmProxyMetrics } from '../../../control-plane/llm-proxy/metrics.ts';
import { REQ, startProxy } from './harness.ts';

/** One sample's value from Prometheus text, e.g. sample(text, 'llm_breaker_state', 'provider="openai"'). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('breaker state changes, skipped attempts, failovers and request durations are scraped from GET /metrics on the metrics port', async () => {
  const telemetry = await startInstrumentation({ metricsPort: 0 });
  const h = await startProxy({
    transport: 'passthrough',
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    metrics: createLlmProxyMetrics(),
  });
  try {
    assert.match(telemetry.metricsUrl!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    h.openai.setFault({ status: 500 });
    const client = h.client();
    for (let i = 0; i < 5; i++)
      await client.chat.completions.create({ ...REQ, messages: [...REQ.messages, { role: 'user', content: `canary-7f3a ${i}` }] });
    assert.equal(h.openai.requests.count, 3, 'the breaker opened after three failures; later calls went straight to Anthropic');

    const res = await fetch(telemetry.metricsUrl!);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(sample(text, 'llm_breaker_state', 'provider="openai"'), 2, 'open');
    assert.equal(sample(text, 'llm_breaker_state', 'provider="anthropic"'), 0, 'closed');
    assert.equal(sample(text, 'llm_breaker_transitions_total', 'to="open"'), 1);
    assert.equal(sample(text, 'llm_upstream_skipped_open_total', 'provider="openai"'), 2);
    assert.equal(sample(text, 'llm_failovers_total', 'phase="any"'), 3);
    assert.equal(sample(text, 'llm_proxy_duration_count', 'provider="anthropic"'), 5);
    assert.ok(!text.includes(h.tenant) && !text.includes('canary-7f3a'), 'no tenant id or prompt text in metrics');

    assert.equal((await fetch(telemetry.metricsUrl!.replace('/metrics', '/other'))).status, 404);
  } finally {
    await h.close();
    await telemetry.shutdown();
  }
});

test('with OTEL_EXPORTER_OTLP_ENDPOINT the proxy metrics are pushed to the operator’s collector over OTLP/HTTP', async () => {
  const posts: { path: string; body: string }[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const telemetry = await startInstrumentation({ otlpEndpoint: endpoint, otlpIntervalMs: 100 });
  const h = await startProxy({
    transport: 'passthrough',
    breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
    metrics: createLlmProxyMetrics(),
  });
  try {
    assert.equal(telemetry.metricsUrl, undefined, 'no scrape endpoint unless METRICS_PORT is set');
    h.openai.setFault({ status: 500 }, { times: 1 });
    await h.client().chat.completions.create(REQ);
    for (let i = 0; i < 100 && !posts.some((p) => p.body.includes('llm.breaker.transitions')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const post = posts.find((p) => p.body.includes('llm.breaker.transitions'));
    assert.ok(post, 'the breaker transition reached the collector');
    assert.equal(post.path, '/v1/metrics');
    assert.ok(!posts.some((p) => p.body.includes(h.tenant)), 'no tenant id in pushed metrics');
  } finally {
    await h.close();
    await telemetry.shutdown();
    collector.close();
  }
});
