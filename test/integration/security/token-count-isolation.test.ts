import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTokenIssuer } from '../../../shared/tokens.ts';
import { DEFAULT_MODEL_MAP, type ModelMap } from '../../../shared/llm/index.ts';
import { pathologicalInputs } from '../../../scripts/inputs/token-inputs.ts';
import { REQ, startProxy } from '../llm-proxy/harness.ts';

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1];

// Windows small enough that every attack request is over its byte bound and must be counted.
const SMALL: ModelMap = {
  core: {
    openai: { ...DEFAULT_MODEL_MAP.core.openai, contextWindow: 60_000 },
    anthropic: { ...DEFAULT_MODEL_MAP.core.anthropic, contextWindow: 60_000 },
  },
  ultra: DEFAULT_MODEL_MAP.ultra,
};

test("the worst text to tokenise, sent by one tenant, leaves another tenant's p99 where it was", async (t) => {
  const h = await startProxy({ modelMap: SMALL });
  t.after(() => h.close());
  const attacker = await createTokenIssuer({ keys: h.keys }).issue({ typ: 'agent', tenant: randomUUID(), sub: 'x', ttlSeconds: 600 });

  const victimCall = async () => {
    const t0 = performance.now();
    const res = await h.post(REQ);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await victimCall(); // warm up
  const baseline: number[] = [];
  for (let i = 0; i < 60; i++) baseline.push(await victimCall());

  // Each kind of costly text at ~200 K code units (16 K copies of one character froze the
  // event loop for ~19 s before counting moved off it), twice over, all at once.
  const bodies = [1, 2].flatMap((seed) =>
    Object.values(pathologicalInputs(200_000, seed)).map((content) =>
      JSON.stringify({ model: 'core', messages: [{ role: 'user', content }] }),
    ),
  );
  const answered: { status: number; code?: string }[] = [];
  let attacking = true;
  const attack = Promise.all(
    bodies.map(async (body) => {
      const res = await h.post(body, attacker);
      const json = (await res.json()) as { error?: { code: string } };
      answered.push({ status: res.status, code: json.error?.code });
    }),
  ).finally(() => (attacking = false));
  const during: number[] = [];
  while (attacking || during.length < 30) during.push(await victimCall());
  await attack;

  if (process.env.SHOW_P99)
    console.log(
      JSON.stringify({
        base: p99(baseline),
        med: [...baseline].sort((a, b) => a - b)[30],
        during: p99(during),
        dmed: [...during].sort((a, b) => a - b)[Math.floor(during.length / 2)],
        n: during.length,
        codes: answered.map((a) => a.code ?? a.status).join(),
      }),
    );
  // Answered, each of them: served within the window, or refused as too long for it; never a crash.
  for (const a of answered)
    assert.ok(a.status === 200 || a.code === 'context_length_exceeded', `an attack request got ${a.status} ${a.code}`);
  assert.equal(answered.length, bodies.length);
  const base = Math.max(p99(baseline), 5);
  assert.ok(
    p99(during) <= 20 * base,
    `the other tenant's p99 was ${p99(during).toFixed(1)} ms during the attack against ${p99(baseline).toFixed(1)} ms before (${during.length} calls)`,
  );
});
