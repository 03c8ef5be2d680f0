import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { agentOutputSchema, type DeterministicAgent, type LlmAgent } from '../../../agents/types.ts';
import { createLogger } from '../../../shared/log.ts';
import type { CommandRunner } from '../../../customer-plane/guard/types.ts';
import { createCommandRunner } from '../../../customer-plane/tools/exec/runner.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretMasking } from '../../../customer-plane/secrets/masking.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

// The canary has characters that URL-encoding and JSON change, so every form differs from the raw value.
const CANARY = `Cnry/${randomBytes(12).toString('hex')}+@"x`;
const PROD = `prod-${randomBytes(12).toString('hex')}`;
/** The forms the canary must never appear in, computed here independently of the masker. */
const bytes = Buffer.from(CANARY);
const BASIC = Buffer.from(`deploy:${CANARY}`).toString('base64');
const FORMS: Record<string, string> = {
  raw: CANARY,
  json: JSON.stringify(CANARY).slice(1, -1),
  base64: bytes.toString('base64').replace(/=+$/, ''),
  base64url: bytes.toString('base64url'),
  hex: bytes.toString('hex'),
  HEX: bytes.toString('hex').toUpperCase(),
  url: encodeURIComponent(CANARY),
  basicAuth: BASIC,
  prod: PROD,
};
const MASKED = '[masked:CANARY_TOKEN]';

function leaks(text: string): string[] {
  return Object.entries(FORMS)
    .filter(([, f]) => text.includes(f))
    .map(([k]) => k);
}

/** A model that reads the files holding the secret, has commands print it, and — as if it had learned it anyway — writes it into its finding. */
const prober: LlmAgent = {
  name: 'bug-diagnoser',
  kind: 'llm',
  tier: 'core',
  purpose: 'test',
  tools: ['read_file', 'run_command'],
  programs: ['echo'],
  budget: { maxSteps: 6, maxTokens: 200_000 },
  output: agentOutputSchema,
  prompt: 'You diagnose bugs.',
};

/** What the deterministic agent's own code received from its tools. */
const seenByAgent: string[] = [];
/** A deterministic step that reads the file holding the secret, then fails with the secret in its error (which reaches the log). */
const crasher: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'test',
  tools: ['read_file'],
  budget: { maxSteps: 5, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const r = await ctx.tools.call('read_file', { path: 'config/.env' });
    seenByAgent.push(r.ok ? r.output : r.message);
    throw new Error(`could not use token ${CANARY} (${FORMS.base64})`);
  },
};

test('a canary secret never reaches the model, and tool outputs, findings, patches, logs, errors and run records show it masked: a file holds it, commands print it, an exec error and a failing step carry it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-canary-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backend = createFileSecretStore(join(dir, 'secrets.json'));
  const provider = createSecretsProvider(backend);
  await provider.put({ prefix: 'sandbox/' }, 'CANARY_TOKEN', CANARY);
  await provider.put({ prefix: 'production/' }, 'PROD_TOKEN', PROD);

  let logText = '';
  const masking = createSecretMasking();
  const log = createLogger({
    service: 'customer-plane',
    level: 'debug',
    rewriteLine: masking.maskJsonLine,
    destination: new Writable({
      write(chunk, _e, cb) {
        logText += chunk.toString();
        cb();
      },
    }),
  });

  // The real sandboxed runner, except that one command fails to start with its argv in the error, as
  // Node's spawn errors carry `spawnargs`: an error holding the substituted value on its way to the log.
  const real = await createCommandRunner({ log, sandbox: 'auto', hide: [dir] });
  t.after(() => real.dispose());
  const runner: CommandRunner = {
    sandbox: real.sandbox,
    run(command, opts) {
      const argv = command.pipeline[0]!;
      if (argv.includes('FAILTOSTART')) {
        return Promise.reject(Object.assign(new Error(`spawn ${argv.join(' ')} EACCES`), { spawnargs: argv }));
      }
      return real.run(command, opts);
    },
  };

  const prompts: string[] = [];
  const toolResults: Array<Record<string, unknown>> = [];
  let turn = 0;
  const rig = await startRuntimeRig(t, {
    repoFiles: {
      'README.md': '# sample\n',
      'config/.env': `DEPLOY_TOKEN=${CANARY}\n`,
      'notes/encoded.txt': `b64=${FORMS.base64}\nhex=${FORMS.hex}\nurl=${FORMS.url}\nAuthorization: Basic ${BASIC}\n`,
    },
    catalog: { 'bug-diagnoser': prober, 'patch-applier': crasher },
    templates: {
      'diagnose-and-fix': {
        name: 'diagnose-and-fix',
        description: 'test',
        steps: [
          // An operator who typed the secret's value into a parameter by mistake: the prompt carries it masked.
          { id: 'probe', agent: 'bug-diagnoser', needs: [], params: { note: `deploy with ${CANARY}` } },
          { id: 'crash', agent: 'patch-applier', needs: ['probe'] },
        ],
      },
    },
    runner,
    log,
    secrets: { provider, masking },
    script: (req) => {
      prompts.push(JSON.stringify(req.messages));
      turn += 1;
      if (turn === 1)
        return {
          toolCalls: [
            { name: 'read_file', arguments: '{"path":"config/.env"}' },
            { name: 'read_file', arguments: '{"path":"notes/encoded.txt"}' },
            { name: 'run_command', arguments: '{"command":"echo token={{secret:CANARY_TOKEN}}"}' },
            { name: 'run_command', arguments: '{"command":"echo {{secret:CANARY_TOKEN}} > leaked.txt"}' },
            { name: 'read_file', arguments: '{"path":"leaked.txt"}' },
            { name: 'run_command', arguments: '{"command":"echo {{secret:PROD_TOKEN}}"}' },
            { name: 'run_command', arguments: '{"command":"echo FAILTOSTART {{secret:CANARY_TOKEN}}"}' },
          ],
        };
      if (turn === 2) {
        toolResults.push(...req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content)));
        const finding = { rule: 'secret/leak', severity: 'high', file: 'config/.env', line: 1, message: `token ${CANARY} / ${FORMS.hex}` };
        return {
          content: JSON.stringify({
            summary: `found ${CANARY}`,
            findings: [finding],
            patches: [
              { title: 'rotate', diff: `--- a/config/.env\n+++ b/config/.env\n@@ -1 +1 @@\n-DEPLOY_TOKEN=${CANARY}\n+DEPLOY_TOKEN=\n` },
            ],
          }),
        };
      }
      return { content: '{}' };
    },
  });

  const r = await rig.run('diagnose-and-fix');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'agent_error'], 'the crash step failed the run; the probe step succeeded');

  // The model: the task message names the secret it may use, and not one request holds a form of its value.
  assert.equal(prompts.length, 2);
  assert.match(prompts[0]!, /Secrets your commands may use.*CANARY_TOKEN/);
  assert.ok(prompts[0]!.includes(`deploy with ${MASKED}`), 'a parameter holding the value reaches the model masked');
  assert.ok(!prompts[0]!.includes('PROD_TOKEN'), 'another environment’s secret is not even named');
  for (const p of prompts) assert.deepEqual(leaks(p), [], 'no form of the secret in a prompt');

  // What the model got back: the file's value and encodings, the echoed value and the written file, masked.
  const [envFile, encoded, echoed, redirected, leakedFile, prodRef, failed] = toolResults as Array<{
    kind: string;
    content?: string;
    reason?: string;
    message?: string;
  }>;
  assert.equal(envFile!.content, `DEPLOY_TOKEN=${MASKED}\n`);
  const [b64, hex, url, basic] = encoded!.content!.split('\n');
  assert.deepEqual([b64, hex, url], [`b64=${MASKED}`, `hex=${MASKED}`, `url=${MASKED}`]);
  // Inside `user:secret` in base64 only the characters around the value's own bits are left.
  assert.match(basic!, /^Authorization: Basic [A-Za-z0-9+/]{0,12}\[masked:CANARY_TOKEN\][A-Za-z0-9+/=]{0,4}$/);
  assert.match(
    echoed!.content!,
    new RegExp(`^token=${MASKED.replace(/[[\]]/g, '\\$&')}\n`),
    'the command got the value (it printed it) and the model got the mask',
  );
  assert.equal(redirected!.kind, 'untrusted_data');
  assert.equal(leakedFile!.content, `${MASKED}\n`, 'a file the command wrote with the value reads back masked');
  assert.deepEqual([prodRef!.kind, prodRef!.reason], ['refusal', 'secret_unknown'], 'a production secret is unknown to a sandbox run');
  assert.deepEqual([failed!.kind, failed!.reason], ['refusal', 'failed'], 'an exec error comes back as a plain failure');
  assert.deepEqual(leaks(failed!.message!), []);

  assert.deepEqual(seenByAgent, [`DEPLOY_TOKEN=${MASKED}\n`], 'an agent’s own code gets tool output masked too');

  // Run records: every table of the run's ledger, as text.
  const dump = (
    await rig.query<{ t: string }>(
      `SELECT string_agg(x::text, E'\\n') AS t FROM (
         SELECT row_to_json(r)::text AS x FROM runtime.runs r UNION ALL SELECT row_to_json(s)::text FROM runtime.steps s
         UNION ALL SELECT row_to_json(c)::text FROM runtime.tool_calls c UNION ALL SELECT row_to_json(e)::text FROM runtime.effects e
         UNION ALL SELECT row_to_json(m)::text FROM runtime.model_turns m UNION ALL SELECT row_to_json(f)::text FROM runtime.findings f
         UNION ALL SELECT row_to_json(p)::text FROM runtime.patches p UNION ALL SELECT row_to_json(g)::text FROM runtime.gate_decisions g) q`,
    )
  )[0]!.t;
  assert.deepEqual(leaks(dump), [], 'no form of the secret in any run record');
  const record = (await rig.records.show(r.runId))!;
  assert.deepEqual(
    record.findingList.map((f) => f.message),
    [`token ${MASKED} / ${MASKED}`],
    'the finding shows the secret masked',
  );
  const applied = record.patchList.find((p) => p.kind === 'applied')!;
  assert.match(applied.diff, /\+\[masked:CANARY_TOKEN\]/, 'the workspace change (the written file) is recorded masked');
  assert.match(record.patchList.find((p) => p.kind === 'proposed')!.diff, /-DEPLOY_TOKEN=\[masked:CANARY_TOKEN\]/);
  assert.equal(record.stepList[0]!.summary, `found ${MASKED}`);

  // Logs and errors: the exec error and the failing step were logged with the value masked.
  assert.deepEqual(leaks(logText), [], 'no form of the secret in a log line');
  const lines = logText
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const execError = lines.find((l) => l.msg === 'tool execution failed');
  assert.ok(execError, 'the exec error was logged');
  assert.match(JSON.stringify(execError.err), /masked:CANARY_TOKEN/);
  const stepError = lines.find((l) => l.msg === 'step failed' && l.errorCode === 'agent_error');
  assert.match(stepError.err.message, /could not use token \[masked:CANARY_TOKEN\] \(\[masked:CANARY_TOKEN\]\)/);

  // Nothing holds the value once the run is over: the log masking forgot it with the run.
  assert.equal(masking.mask(CANARY), CANARY);
});
