import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../../shared/boundary.ts';
import { ERROR_CODES } from '../../shared/boundary.ts';
import { newUlid } from '../../shared/ids.ts';
import type { Logger } from '../../shared/log.ts';
import { AGENTS, TEMPLATE_STEPS } from '../../agents/catalog.ts';
import type { AgentLlm } from '../../agents/types.ts';
import { createWorkspace, PathRejectedError } from '../workspace/workspace.ts';
import type { Egress } from '../egress/egress.ts';
import type { Dispatch } from '../../shared/dispatch.ts';

export type RunDeps = {
  tenant: string;
  repos: Record<string, string>;
  workspaceDir: string;
  runsDir: string;
  llm: AgentLlm;
  egress: Pick<Egress, 'emit' | 'flush'>;
  log: Logger;
  clock?: () => number;
};

/**
 * Runs one workflow: a fresh workspace, the template's agents in order, and metadata events out
 * through egress. Outputs are written to the local run record only. The workspace is destroyed
 * whatever happens. Returns the final status so the worker can ack.
 */
export async function runWorkflow(d: Dispatch, deps: RunDeps): Promise<{ status: 'succeeded' | 'failed'; errorCode: ErrorCode }> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const log = deps.log.child({ workflowId: d.workflowId });
  deps.egress.emit('meta', { type: 'workflow.started', eventId: newUlid(), workflowId: d.workflowId, template: d.template, at: started });
  // Flush now: this event is also the customer plane's acceptance, which stops the hub's re-sends.
  await deps.egress.flush();

  const outputs: Record<string, unknown> = {};
  let errorCode: ErrorCode = 'none';
  let stepsRun = 0;
  const source = deps.repos[d.repo];
  let workspace;
  try {
    if (!source) throw Object.assign(new Error('unknown repo alias'), { code: 'repo_not_found' });
    workspace = await createWorkspace({ sourceDir: source, parentDir: deps.workspaceDir }).catch((err) => {
      throw Object.assign(new Error('workspace could not be created', { cause: err }), { code: 'workspace_error' });
    });
    const steps = TEMPLATE_STEPS[d.template];
    if (!steps) throw Object.assign(new Error('template not in this release'), { code: 'unknown_template' });
    for (const [index, name] of steps.entries()) {
      const agent = AGENTS[name];
      const stepStart = clock();
      let stepError: ErrorCode = 'none';
      let result = { llmCalls: 0, inputTokens: 0, outputTokens: 0, output: undefined as unknown };
      try {
        if (!agent) throw Object.assign(new Error('agent missing from catalog'), { code: 'agent_error' });
        result = await agent.run({
          tenant: deps.tenant,
          workflowId: d.workflowId,
          workspace,
          llm: deps.llm,
          previous: outputs,
          log: log.child({ agent: name }),
        });
        outputs[name] = result.output;
      } catch (err) {
        stepError = codeOf(err);
        log.warn({ agent: name, errorCode: stepError }, 'step failed');
      }
      stepsRun += 1;
      deps.egress.emit('meta', {
        type: 'step.finished',
        eventId: newUlid(),
        workflowId: d.workflowId,
        stepId: newUlid(),
        index,
        agent: name,
        status: stepError === 'none' ? 'succeeded' : 'failed',
        errorCode: stepError,
        startedAt: stepStart,
        durationMs: Math.max(0, clock() - stepStart),
        llmCalls: result.llmCalls,
        inputTokens: result.inputTokens,
        outputTokens: result.outputTokens,
      });
      if (stepError !== 'none') {
        errorCode = stepError;
        break;
      }
    }
  } catch (err) {
    errorCode = codeOf(err);
    log.warn({ errorCode }, 'workflow failed before its steps');
  } finally {
    await workspace?.destroy().catch((err) => log.error({ err }, 'workspace cleanup failed'));
  }
  const status = errorCode === 'none' ? 'succeeded' : 'failed';
  await mkdir(deps.runsDir, { recursive: true, mode: 0o700 });
  await writeFile(join(deps.runsDir, `${d.workflowId}.json`), JSON.stringify({ dispatch: d, status, errorCode, outputs }), { mode: 0o600 });
  deps.egress.emit('meta', {
    type: 'workflow.finished',
    eventId: newUlid(),
    workflowId: d.workflowId,
    template: d.template,
    status,
    errorCode,
    at: clock(),
    durationMs: Math.max(0, clock() - started),
    steps: stepsRun,
  });
  await deps.egress.flush();
  log.info({ status, errorCode, steps: stepsRun }, 'workflow finished');
  return { status, errorCode };
}

function codeOf(err: unknown): ErrorCode {
  if (err instanceof PathRejectedError) return 'path_rejected';
  const code = (err as { code?: string })?.code;
  return (ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as ErrorCode) : 'agent_error';
}
