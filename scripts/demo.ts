/**
 * `npm run demo`: both planes on loopback, one workflow end to end, a summary at the end.
 * `--json` prints only the summary as one JSON object (`npm run -s demo -- --json`: npm's own banner
 * goes to stdout without -s); `--keep` leaves everything running until Ctrl-C or SIGTERM.
 * `--machine-postgres` uses scratch databases on the machine's Postgres (127.0.0.1:5432, or
 * TEST_PG_ADMIN_URL) instead of each plane's embedded Postgres. Exit code 0 only when the workflow
 * succeeded. Every exit path stops what the demo started: a signal at any moment, a closed stdout
 * (EPIPE, e.g. `| head`), an error.
 */
import { TEMPLATE_DEFINITIONS } from '../agents/templates/index.ts';
import { createDb } from '../shared/db/pool.ts';
import { createRunRecords } from '../customer-plane/runner/ledger/records.ts';
import { startTopology, type Topology } from './topology/local-topology.ts';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const keep = args.has('--keep');
const machinePostgres = args.has('--machine-postgres');

// A reader that went away (`| head`, a closed pipe) must not crash the demo before it stops what it
// started: from then on nothing more is written, and the run winds down as after a signal.
let stdoutOpen = true;
const stop = new AbortController();
process.stdout.on('error', () => {
  stdoutOpen = false;
  stop.abort('stdout closed');
});
const write = (text: string) => {
  if (stdoutOpen) process.stdout.write(text);
};
const say = (line: string) => {
  if (!json) write(`${line}\n`);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop.abort(signal));
// Run through npm, a SIGTERM ends npm and its shell without reaching the demo, which is left to
// init: a demo whose parent is gone stops too, as if it had been signalled.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop.abort('SIGTERM');
}, 250).unref();
const stopped = new Promise<never>((_, reject) => {
  const fail = () => reject(new Error(`stopped (${String(stop.signal.reason)})`));
  if (stop.signal.aborted) fail();
  else stop.signal.addEventListener('abort', fail, { once: true });
});
stopped.catch(() => undefined);
/** Waits for `work`, or rejects as soon as the demo is told to stop. */
const unlessStopped = <T>(work: Promise<T>): Promise<T> => Promise.race([work, stopped]);

async function main(): Promise<number> {
  const t0 = Date.now();
  say('agentplane demo — everything runs on loopback; the LLM providers are local FAKES');
  let topo: Topology | undefined;
  const starting = startTopology({
    logLevel: 'warn',
    progress: (l) => say(`  ▸ ${l}`),
    embeddedPostgres: !machinePostgres,
    signal: stop.signal,
  });
  try {
    topo = await unlessStopped(starting);
    const started = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'sample' } });
    if (started.status !== 202) throw new Error(`dispatch refused: ${JSON.stringify(started.body)}`);
    const id = started.body.id as string;
    say(`  ▸ workflow ${id} queued on the hub (template code-review, repo alias "sample")`);
    say(`  ▸ code-review: ${describeDag(TEMPLATE_DEFINITIONS['code-review'].steps)}`);
    const seen = new Set<string>();
    let lastStatus = '';
    const wf = await unlessStopped(
      topo.waitForWorkflow(id, {
        timeoutMs: 60_000,
        onPoll: (w) => {
          const status = w?.status && w.status !== lastStatus ? w.status : undefined;
          // Steps as they finish; the run's own end after its last steps.
          const ended = status === 'succeeded' || status === 'failed';
          if (status && !ended) say(`  ▸ workflow ${status}${status === 'running' ? ' (the customer plane accepted the dispatch)' : ''}`);
          for (const s of w?.steps ?? []) {
            if (seen.has(s.stepId)) continue;
            seen.add(s.stepId);
            say(`    ${s.agent.padEnd(AGENT_WIDTH)} ${s.status} in ${s.durationMs} ms: ${stepWork(s)}`);
          }
          if (status && ended) say(`  ▸ workflow ${status}`);
          if (status) lastStatus = status;
        },
      }),
    );
    // The reviewer's LLM calls went out with the customer's keys (direct mode); their token counts come
    // up as signed usage counters with the workflow's events, and bill through /v1/usage.
    const calls = wf.steps.reduce((n: number, st: any) => n + st.llmCalls, 0);
    let usage: any[] = [];
    for (let i = 0; i < 50 && usage.reduce((n, u) => n + u.requests, 0) < calls; i++) {
      usage = (await topo.api('/v1/usage', { token: topo.apiToken })).body.data ?? [];
      if (usage.reduce((n, u) => n + u.requests, 0) < calls) await new Promise((r) => setTimeout(r, 100));
    }
    // What the agents produced never left the customer plane: its own database holds the run record.
    const db = createDb({ databaseUrl: topo.customerDatabaseUrl, max: 1 });
    const record = await createRunRecords(db)
      .show(id)
      .finally(() => db.end());
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
          toolCalls: s.toolCalls,
          refusals: s.refusals,
          findings: s.findings,
          inputTokens: s.inputTokens,
          outputTokens: s.outputTokens,
        })),
      },
      link: link.body,
      usage,
      local: {
        findings: record?.findingList.length ?? 0,
        patches: record?.patchList.length ?? 0,
        toolCalls: record?.stepList.reduce((n, st) => n + st.toolCalls, 0) ?? 0,
        command: machinePostgres
          ? `DATABASE_URL=${topo.customerDatabaseUrl} npm run runs -- show ${id}`
          : `STATE_DIR=${topo.customerStateDir} npm run runs -- show ${id}`,
      },
      controlPlaneApi: topo.apiUrl,
      tenant: topo.tenant,
      totalMs: Date.now() - t0,
    };
    if (json) write(`${JSON.stringify(summary)}\n`);
    else printSummary(summary);
    if (keep) {
      say(`\nstill running (Ctrl-C or SIGTERM stops and removes everything). API: ${topo.apiUrl}`);
      say(`  the run's local record (steps, findings, patches): ${summary.local.command}`);
      say(`  operator token (demo only): ${topo.operatorToken}`);
      say(`  api token for the tenant:   ${topo.apiToken}`);
      await stopped.catch(() => undefined);
    }
    return summary.ok ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (json) write(`${JSON.stringify({ ok: false, error: message })}\n`);
    else process.stderr.write(`demo failed: ${message}\n`);
    return 1;
  } finally {
    // A signal while the topology was still starting: it stops its own parts when it sees the abort.
    topo ??= await starting.catch(() => undefined);
    await topo?.stop();
  }
}

const AGENT_WIDTH = 19;

/** `a, b, c → d`: the steps that start at once, then what waits for them, as the template's DAG has it. */
function describeDag(steps: ReadonlyArray<{ id: string; agent: string; needs: readonly string[] }>): string {
  const waves: string[][] = [];
  const done = new Set<string>();
  while (done.size < steps.length) {
    const ready = steps.filter((st) => !done.has(st.id) && st.needs.every((n) => done.has(n)));
    if (ready.length === 0) break;
    waves.push(ready.map((st) => st.agent));
    for (const st of ready) done.add(st.id);
  }
  return `${waves.map((w) => w.join(', ')).join(' → ')} (steps on one side of an arrow run in parallel)`;
}

function findingCount(findings: Record<string, number> | undefined): string {
  const parts = Object.entries(findings ?? {}).filter(([, n]) => n > 0);
  return parts.length ? parts.map(([sev, n]) => `${n} ${sev}`).join(', ') : 'none';
}

function stepWork(st: any): string {
  const llm = st.llmCalls > 0 ? `, ${st.llmCalls} LLM call(s), ${st.inputTokens}/${st.outputTokens} tokens in/out` : ', no LLM';
  return `${st.toolCalls ?? 0} tool call(s) through the gate (${st.refusals ?? 0} refused), findings ${findingCount(st.findings)}${llm}`;
}

function printSummary(s: any): void {
  say('\nsummary');
  say(
    `  workflow   ${s.workflow.id}  ${s.workflow.status}${s.workflow.errorCode ? ` (${s.workflow.errorCode})` : ''} in ${s.workflow.durationMs} ms`,
  );
  for (const st of s.workflow.steps) {
    say(`  step       ${st.agent.padEnd(AGENT_WIDTH)} ${st.status.padEnd(9)} ${String(st.durationMs).padStart(5)} ms  ${stepWork(st)}`);
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
  say(
    `  stayed local ${s.local.toolCalls} tool call(s) through the gate, ${s.local.findings} finding(s), ${s.local.patches} patch(es): the customer plane's own database (npm run runs)`,
  );
  say(`  control-plane API was at ${s.controlPlaneApi}`);
  say(`  total ${s.totalMs} ms`);
}

const code = await main();
// Signals: 128 + number, as a shell reports them; a closed stdout is not the demo's failure.
const reason = stop.signal.reason;
process.exit(reason === 'SIGINT' ? 130 : reason === 'SIGTERM' ? 143 : reason === 'SIGHUP' ? 129 : code);
