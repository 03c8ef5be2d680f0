import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { newUlid } from '../../../../shared/ids.ts';
import { RetryableError } from '../../../../shared/worker-errors.ts';
import type { WorkflowTemplate } from '../../../../agents/types.ts';
import { LedgerError } from '../../../../customer-plane/runner/ledger/journal.ts';
import type { SecretsProvider } from '../../../../customer-plane/secrets/provider.ts';
import { deterministic, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * What a delivery of a run does when it cannot finish it — the ledger unreachable, the runner stopping —
 * and what the next delivery does: the run is given back (thrown), never failed, its workspace destroyed
 * either way; the next delivery resumes from the ledger, and a delivery of a finished run only reports it.
 */
useStepRig();

const twoSteps: Record<string, WorkflowTemplate> = {
  refactor: {
    name: 'refactor',
    description: 'test',
    steps: [
      { id: 'one', agent: 'fixer', needs: [] },
      { id: 'two', agent: 'patch-applier', needs: ['one'] },
    ],
  },
};

/** Two steps ready at once (`a` by the indexer, `b` by the secret scanner): what a broken run must not go on starting. */
const twoParallelSteps: Record<string, WorkflowTemplate> = {
  'security-audit': {
    name: 'security-audit',
    description: 'test',
    steps: [
      { id: 'a', agent: 'indexer', needs: [] },
      { id: 'b', agent: 'secret-scanner', needs: [] },
    ],
  },
};

/**
 * `twoSteps` where step one writes `file` and step two is interrupted (the runner stopping) until
 * `stopInterrupting` is called: a run whose next delivery must replay step one's change.
 */
async function writeThenInterrupted(file: { path: string; content: string }, o: Parameters<typeof workflowRig>[0] = {}) {
  let interrupt = true;
  const rig = await workflowRig({
    ...o,
    catalog: {
      fixer: deterministic('fixer', async (ctx) => {
        await ctx.tools.call('write_file', file);
        return ok('one');
      }),
      'patch-applier': deterministic('patch-applier', async () => {
        if (interrupt) throw new RetryableError('stopping', 'the runner is stopping');
        return ok('two');
      }),
    },
    templates: twoSteps,
  });
  return { rig, workflowId: newUlid(), stopInterrupting: () => void (interrupt = false) };
}

test('a step interrupted retryably gives the run back: the same error is thrown, no new step starts, and the workspace is destroyed', async () => {
  const ran: string[] = [];
  const rig = await workflowRig({
    maxParallelSteps: 1,
    catalog: {
      indexer: deterministic(
        'indexer',
        async () => {
          ran.push('indexer');
          throw new RetryableError('stopping', 'the runner is stopping');
        },
        { tools: ['read_file'] },
      ),
      'secret-scanner': deterministic('secret-scanner', async () => (ran.push('secret-scanner'), ok('s')), { tools: ['read_file'] }),
    },
    templates: twoParallelSteps,
  });
  const workflowId = newUlid();
  await assert.rejects(
    rig.run('security-audit', { workflowId }),
    (err: unknown) => err instanceof RetryableError && !(err instanceof LedgerError),
  );
  assert.deepEqual(ran, ['indexer'], 'the other ready step was not started once the run was broken');
  assert.deepEqual((await rig.recordOf(workflowId)).run, ['running', 'none'], 'the run is not failed: it is retried');
  assert.deepEqual(readdirSync(rig.workspaceDir), []);
  assert.equal(rig.eventsOf(workflowId).includes('workflow.finished:failed:none'), false);
});

test('a ledger that fails after a step is given back as a LedgerError carrying the cause, and the other steps are told to stop', async () => {
  let stopped: boolean | undefined;
  const failure = new Error('connection lost (test)');
  const rig = await workflowRig({
    wrapLedger: (l) => ({ ...l, getStep: async (id) => (id === failingStep ? Promise.reject(failure) : l.getStep(id)) }),
    catalog: {
      indexer: deterministic('indexer', async (ctx) => ((failingStep = ctx.stepId), ok('i')), { tools: ['read_file'] }),
      'secret-scanner': deterministic(
        'secret-scanner',
        async (ctx) => {
          // The run may have been stopped before this step's agent started.
          if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          stopped = ctx.signal.aborted;
          return ok('stopped');
        },
        { tools: ['read_file'] },
      ),
    },
    templates: twoParallelSteps,
  });
  let failingStep = '';
  await assert.rejects(rig.run('security-audit'), (err: unknown) => err instanceof LedgerError && err.cause === failure);
  assert.equal(stopped, true, 'the step still running saw the run’s stop');
  assert.deepEqual(readdirSync(rig.workspaceDir), []);
});

test('once the ledger fails after a step, the run starts no more steps, not even the one that step made ready', async () => {
  let dependentRan = false;
  const failure = new Error('connection lost (test)');
  let failingStep = '';
  const rig = await workflowRig({
    wrapLedger: (l) => ({ ...l, getStep: async (id) => (id === failingStep ? Promise.reject(failure) : l.getStep(id)) }),
    catalog: {
      fixer: deterministic('fixer', async (ctx) => ((failingStep = ctx.stepId), ok('one'))),
      'patch-applier': deterministic('patch-applier', async () => ((dependentRan = true), ok('two'))),
    },
    templates: twoSteps,
  });
  const workflowId = newUlid();
  await assert.rejects(rig.run('refactor', { workflowId }), (err: unknown) => err instanceof LedgerError && err.cause === failure);
  assert.equal(dependentRan, false, 'the step that needed it never ran');
  assert.equal((await rig.ledger.getRun(workflowId))!.steps[1]!.status, 'pending', 'it is left for the next delivery');
});

test('the next delivery resumes: finished steps are not run again and their events are sent again with the same ids; a finished run is only reported', async () => {
  const ran: string[] = [];
  let interrupt = true;
  let inputsOfTwo: unknown;
  const rig = await workflowRig({
    catalog: {
      fixer: deterministic('fixer', async (ctx) => {
        ran.push('one');
        await ctx.tools.call('write_file', { path: 'one.txt', content: 'one\n' });
        return ok('one');
      }),
      'patch-applier': deterministic('patch-applier', async (ctx) => {
        ran.push('two');
        inputsOfTwo = ctx.inputs;
        if (interrupt) throw new RetryableError('stopping', 'the runner is stopping');
        const listed = await ctx.tools.call('list_files', {});
        return ok(listed.ok ? listed.output.replace(/\n/g, ' ') : 'no list');
      }),
    },
    templates: twoSteps,
  });
  const workflowId = newUlid();
  await assert.rejects(rig.run('refactor', { workflowId }), RetryableError);
  const firstEvents = rig.events.filter((e) => e.event.workflowId === workflowId).map((e) => e.event);
  interrupt = false;
  const resumed = await rig.run('refactor', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
  assert.deepEqual(ran, ['one', 'two', 'two'], 'step one ran once');
  assert.deepEqual(inputsOfTwo, { one: ok('one') }, 'step two got step one’s output from the ledger');
  const record = (await rig.ledger.getRun(workflowId))!;
  assert.equal(record.steps[1]!.output?.summary, 'README.md one.txt src/a.ts', 'step two saw step one’s change, replayed from the ledger');
  const oneFinished = firstEvents.find((e) => e.type === 'step.finished')!;
  const again = rig.events.filter((e) => e.event.type === 'step.finished' && e.event.eventId === oneFinished.eventId);
  assert.equal(again.length, 2, 'step one’s event was sent again with its id');
  assert.equal(rig.lines.find((l) => l.msg === 'resuming workflow from the ledger')?.attempt, 2);
  assert.deepEqual(readdirSync(rig.workspaceDir), []);

  const finishedId = rig.events.find((e) => e.event.workflowId === workflowId && e.event.type === 'workflow.finished')!.event.eventId;
  const before = rig.events.length;
  const redelivered = await rig.run('refactor', { workflowId });
  assert.deepEqual([redelivered.status, redelivered.errorCode], ['succeeded', 'none']);
  assert.deepEqual(ran, ['one', 'two', 'two'], 'nothing ran again');
  const later = rig.events.slice(before).map((e) => e.event);
  assert.deepEqual(
    later.map((e) => e.type),
    ['workflow.started', 'step.finished', 'gate.decisions', 'step.finished', 'gate.decisions', 'workflow.finished'],
  );
  assert.equal(later.at(-1)!.eventId, finishedId, 'the stored outcome with its stored event id');
  assert.equal(rig.lines.filter((l) => l.msg === 'resuming workflow from the ledger').length, 1, 'a finished run is not resumed');
  assert.deepEqual(readdirSync(rig.workspaceDir), []);
});

test('a delivery of a run that failed reports the stored failure, whatever it would decide now', async () => {
  const rig = await workflowRig({ templates: {} });
  const workflowId = newUlid();
  const first = await rig.run('refactor', { workflowId });
  assert.deepEqual([first.status, first.errorCode], ['failed', 'unknown_template']);
  rig.deps.templates = twoSteps;
  rig.deps.catalog = {
    fixer: deterministic('fixer', async () => ok('x')),
    'patch-applier': deterministic('patch-applier', async () => ok('y')),
  };
  const again = await rig.run('refactor', { workflowId });
  assert.deepEqual([again.status, again.errorCode], ['failed', 'unknown_template']);
  assert.deepEqual(readdirSync(rig.workspaceDir), []);
});

/** A secret store holding one secret, GH_TOKEN, with `value`. */
const ghTokenStore = (value: string): SecretsProvider => ({
  names: async () => ['GH_TOKEN'],
  get: async () => value,
  has: async () => true,
  put: async () => {},
  delete: async () => {},
});

test('a run resumed after a step wrote one of its secrets gets the value back into the replayed workspace', async () => {
  const value = 'ghp_resumed_secret_value_0123456789';
  const provider = ghTokenStore(value);
  const { rig, workflowId, stopInterrupting } = await writeThenInterrupted(
    { path: 'token.txt', content: `${value}\n` },
    { secrets: { provider } },
  );
  await assert.rejects(rig.run('refactor', { workflowId }), RetryableError);
  const diff = (await rig.ledger.completedDiffs(workflowId))[0]!.diff;
  assert.match(diff, /\[masked:GH_TOKEN\]/, 'the record holds the reference, not the value');
  stopInterrupting();
  const resumed = await rig.run('refactor', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
});

test('a run without secrets resumes a step that wrote the mask’s own notation as plain text: nothing is there to fill in', async () => {
  const { rig, workflowId, stopInterrupting } = await writeThenInterrupted({
    path: 'notes.txt',
    content: 'values show as [masked:GH_TOKEN]\n',
  });
  await assert.rejects(rig.run('refactor', { workflowId }), RetryableError);
  stopInterrupting();
  const resumed = await rig.run('refactor', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
});

test('a step interrupted after writing one of the run’s secrets replays that write on resume: the value is filled back in, and the replayed decision is reported', async () => {
  const value = 'ghp_step_replayed_secret_0123456789';
  const provider = ghTokenStore(value);
  let interrupt = true;
  const rig = await workflowRig({
    secrets: { provider },
    catalog: {
      fixer: deterministic('fixer', async () => ok('one')),
      'patch-applier': deterministic('patch-applier', async (ctx) => {
        await ctx.tools.call('write_file', { path: 'token.txt', content: `${value}\n` });
        if (interrupt) throw new RetryableError('stopping', 'the runner is stopping');
        return ok('two');
      }),
    },
    templates: twoSteps,
  });
  const workflowId = newUlid();
  await assert.rejects(rig.run('refactor', { workflowId }), RetryableError);
  interrupt = false;
  const resumed = await rig.run('refactor', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none'], 'the replayed write gave the recorded tree');
  const two = (await rig.ledger.getRun(workflowId))!.steps[1]!;
  const gate = rig.events.map((e) => e.event).find((e) => e.type === 'gate.decisions' && e.stepId === two.id);
  assert.ok(gate && gate.type === 'gate.decisions', 'the replayed step has its gate event');
  assert.deepEqual(
    gate.decisions.map((d) => [d.tool, d.decision, d.count]),
    [['write_file', 'allow', 1]],
  );
});
