import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('npm run demo -- --json prints one JSON summary and exits 0 when the workflow succeeded', async () => {
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, [`${ROOT}scripts/demo.ts`, '--json'], { env: process.env, timeout: 120_000 }, (err, out) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out });
    });
  });
  assert.equal(code, 0, stdout);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'only the summary is printed');
  const summary = JSON.parse(lines[0]);
  assert.equal(summary.ok, true);
  assert.equal(summary.workflow.status, 'succeeded');
  assert.deepEqual(
    summary.workflow.steps.map((s: { agent: string }) => s.agent),
    TEMPLATE_DEFINITIONS['code-review'].steps.map((s) => s.agent),
    'every step of the template',
  );
  for (const s of summary.workflow.steps) assert.equal(s.status, 'succeeded', s.agent);
  assert.ok(summary.link.up.meta.batches >= 1, 'signed metadata crossed up');
  assert.ok(summary.link.down.dispatch >= 1, 'a dispatch crossed down');
  const reviewer = summary.workflow.steps.find((s: { agent: string }) => s.agent === 'reviewer');
  assert.deepEqual(
    summary.usage.map((u: any) => [u.route, u.requests, u.input_tokens + u.cached_input_tokens + u.cache_creation_tokens, u.output_tokens]),
    [['direct', reviewer.llmCalls, reviewer.inputTokens, reviewer.outputTokens]],
    'the reviewer’s LLM calls are billed from the usage counters that came up',
  );
  assert.ok(summary.local.toolCalls >= 10, 'the agents’ tool calls went through the gate and stayed in the local record');
  const injection = summary.workflow.steps.find((s: { agent: string }) => s.agent === 'injection-scanner');
  assert.equal(injection.findings.high, 1, 'the sample’s planted injectable query is found, and only its count is in the summary');
  assert.ok(summary.local.findings >= 1, 'the finding itself is in the local record');
  assert.match(summary.local.command, /npm run runs -- show [0-9A-Z]{26}$/);
  assert.match(summary.controlPlaneApi, /^http:\/\/127\.0\.0\.1:\d+$/);
});
