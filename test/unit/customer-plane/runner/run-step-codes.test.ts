import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../../shared/boundary.ts';
import { AgentplaneError } from '../../../../shared/errors.ts';
import { closeStepApprovals, codeOf, isWriter } from '../../../../customer-plane/runner/run-step.ts';
import { StepFailure } from '../../../../customer-plane/tools/toolbox.ts';
import { PathRejectedError } from '../../../../customer-plane/workspace/workspace.ts';
import { recordingLog } from '../../../support/step-rig.ts';

/** How a step's failure becomes the code on its record, and which agents run alone: no database, no workspace. */

test('a step’s code is the failure’s own: a StepFailure’s, a rejected path’s, or any error that carries a known code', () => {
  assert.equal(codeOf(new StepFailure('invalid_output', 'x')), 'invalid_output');
  assert.equal(
    codeOf(new StepFailure('budget_exhausted', 'x'), 'tool_not_allowed'),
    'budget_exhausted',
    'its own code wins over a refusal',
  );
  assert.equal(codeOf(new PathRejectedError('outside', '../x')), 'path_rejected');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 'unknown_agent' })), 'unknown_agent');
  assert.equal(codeOf(new AgentplaneError('workspace_error', 'x')), 'workspace_error');
  for (const code of ERROR_CODES.filter((c) => c !== 'none')) assert.equal(codeOf({ code }), code);
});

test('an error whose code is not a step code, or is none, is an agent_error unless a refusal explains it', () => {
  assert.equal(codeOf(new Error('boom')), 'agent_error');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 'ENOENT' })), 'agent_error');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 'none' })), 'agent_error', 'a failure never records none');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 7 })), 'agent_error');
  assert.equal(codeOf(undefined), 'agent_error');
  assert.equal(codeOf(null), 'agent_error');
  assert.equal(codeOf('a thrown string'), 'agent_error');
});

test('an agent that gave up after a refusal fails with what it tripped on; a refusal without a code of its own is tool_denied', () => {
  const err = new Error('gave up');
  assert.equal(codeOf(err, 'invalid_arguments'), 'invalid_tool_arguments');
  assert.equal(codeOf(err, 'budget_exhausted'), 'budget_exhausted');
  assert.equal(codeOf(err, 'approval_rejected'), 'approval_rejected');
  assert.equal(codeOf(err, 'approval_timeout'), 'approval_timeout');
  assert.equal(codeOf(err, 'tool_not_allowed'), 'tool_denied');
  assert.equal(codeOf(err, 'path_outside_workspace'), 'tool_denied');
  assert.equal(codeOf(err, 'command_refused'), 'tool_denied');
  assert.equal(codeOf(err, ''), 'agent_error', 'no refusal: the agent’s own error');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 'none' }), 'tool_not_allowed'), 'tool_denied');
  assert.equal(codeOf(Object.assign(new Error('x'), { code: 'unknown_agent' }), 'tool_not_allowed'), 'unknown_agent');
});

test('an agent is a writer (runs alone) when any of its tools does more than read', () => {
  const agent = (tools: string[]) => ({ tools }) as unknown as Parameters<typeof isWriter>[0];
  assert.equal(isWriter(undefined), false);
  assert.equal(isWriter(agent([])), false);
  assert.equal(isWriter(agent(['list_files', 'read_file', 'search'])), false);
  for (const tool of ['write_file', 'apply_patch', 'delete_file', 'run_command', 'git', 'fetch_url'])
    assert.equal(isWriter(agent(['read_file', tool])), true, tool);
});

test('closing a step’s approvals asks the broker with the step’s scope; a broker that fails is logged, one without closeFor is skipped', async () => {
  const { log, lines } = recordingLog();
  const seen: unknown[] = [];
  await closeStepApprovals('run-1', 'step-1', 'the step ended', {
    broker: {
      request: async () => ({ outcome: 'rejected', note: '' }),
      closeFor: async (scope, reason) => void seen.push([scope, reason]),
    },
    log,
  });
  assert.deepEqual(seen, [[{ runId: 'run-1', stepId: 'step-1' }, 'the step ended']]);
  await closeStepApprovals('run-1', 'step-2', 'r', {
    broker: { request: async () => ({ outcome: 'rejected', note: '' }), closeFor: async () => Promise.reject(new Error('table gone')) },
    log,
  });
  assert.equal(lines.length, 1);
  assert.deepEqual(
    [lines[0]!.level, lines[0]!.workflowId, lines[0]!.stepId, (lines[0]!.err as { message: string }).message],
    [40, 'run-1', 'step-2', 'table gone'],
  );
  assert.equal(lines[0]!.msg, 'could not close the step’s pending approvals; the run’s end will');
  await closeStepApprovals('run-1', 'step-3', 'r', { broker: { request: async () => ({ outcome: 'rejected', note: '' }) }, log });
  assert.equal(lines.length, 1);
});
