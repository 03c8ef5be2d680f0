/**
 * `npm run demo`: both planes on loopback, one workflow end to end, a summary at the end.
 * `--json` prints only the summary as one JSON object; `--keep` leaves everything running until Ctrl-C.
 * Exit code 0 only when the workflow succeeded.
 */
import { startTopology, type Topology } from './topology/local-topology.ts';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const keep = args.has('--keep');
const say = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  const t0 = Date.now();
  say('agentplane demo — everything runs on loopback; the LLM providers are local FAKES');
  let topo: Topology | undefined;
  try {
    topo = await startTopology({ logLevel: 'warn', progress: (l) => say(`  ▸ ${l}`) });
    const started = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'sample' } });
    if (started.status !== 202) throw new Error(`dispatch refused: ${JSON.stringify(started.body)}`);
    const id = started.body.id as string;
    say(`  ▸ workflow ${id} queued on the hub (template code-review, repo alias "sample")`);
    const seen = new Set<string>();
    let lastStatus = '';
    const wf = await topo.waitForWorkflow(id, {
      timeoutMs: 60_000,
      onPoll: (w) => {
        if (w?.status && w.status !== lastStatus) {
          lastStatus = w.status;
          say(`  ▸ workflow ${w.status}${w.status === 'running' ? ' (the customer plane accepted the dispatch)' : ''}`);
        }
        for (const s of w?.steps ?? []) {
          if (seen.has(s.stepId)) continue;
          seen.add(s.stepId);
          say(
            `    step ${s.index + 1} ${s.agent.padEnd(9)} ${s.status} in ${s.durationMs} ms, ${s.llmCalls} LLM call(s), ${s.inputTokens}/${s.outputTokens} tokens in/out`,
          );
        }
      },
    });
    // The reviewer's LLM call went out with the customer's keys (direct mode); its token counts come
    // up as a signed usage counter just after the workflow's events, and bill through /v1/usage.
    let usage: any[] = [];
    for (let i = 0; i < 50 && usage.length === 0; i++) {
      usage = (await topo.api('/v1/usage', { token: topo.apiToken })).body.data ?? [];
      if (usage.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const link = await topo.api(`/v1/tenants/${topo.tenant}/link`);
    const summary = {
      ok: wf.status === 'succeeded',
      workflow: {
        id: wf.id,
        template: wf.template,
        status: wf.status,
        errorCode: wf.errorCode,
        durationMs: wf.durationMs,
        steps: wf.steps.map((s: any) => ({
          agent: s.agent,
          status: s.status,
          durationMs: s.durationMs,
          llmCalls: s.llmCalls,
          inputTokens: s.inputTokens,
          outputTokens: s.outputTokens,
        })),
      },
      link: link.body,
      usage,
      controlPlaneApi: topo.apiUrl,
      tenant: topo.tenant,
      totalMs: Date.now() - t0,
    };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printSummary(summary);
    if (keep) {
      say(`\nstill running (Ctrl-C stops and removes everything). API: ${topo.apiUrl}`);
      say(`  operator token (demo only): ${topo.operatorToken}`);
      say(`  api token for the tenant:   ${topo.apiToken}`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return summary.ok ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    else process.stderr.write(`demo failed: ${message}\n`);
    return 1;
  } finally {
    await topo?.stop();
  }
}

function printSummary(s: any): void {
  say('\nsummary');
  say(
    `  workflow   ${s.workflow.id}  ${s.workflow.status}${s.workflow.errorCode ? ` (${s.workflow.errorCode})` : ''} in ${s.workflow.durationMs} ms`,
  );
  for (const [i, st] of s.workflow.steps.entries()) {
    say(
      `  step ${i + 1}     ${st.agent.padEnd(9)} ${st.status.padEnd(9)} ${String(st.durationMs).padStart(5)} ms  llm calls ${st.llmCalls}  tokens ${st.inputTokens}/${st.outputTokens}`,
    );
  }
  const up = Object.entries(s.link.up as Record<string, { batches: number; events: number }>)
    .map(([kind, v]) => `${kind}: ${v.batches} signed batch(es), ${v.events} event(s)`)
    .join('; ');
  say(`  crossed up   ${up || 'nothing'}`);
  say(`  crossed down dispatch: ${s.link.down.dispatch} message(s)`);
  for (const u of s.usage) {
    say(
      `  billed       ${u.route} ${u.provider}/${u.model ?? u.tier}: ${u.requests} request(s), ${u.input_tokens + u.cached_input_tokens + u.cache_creation_tokens}/${u.output_tokens} tokens in/out (GET /v1/usage)`,
    );
  }
  say(`  control-plane API was at ${s.controlPlaneApi}`);
  say(`  total ${s.totalMs} ms`);
}

process.exitCode = await main();
