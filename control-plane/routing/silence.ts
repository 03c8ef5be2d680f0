import type { Db } from '../db/pool.ts';
import { SILENT_ERROR_CODE } from '../db/workflows.ts';
import type { Logger } from '../../shared/log.ts';

/**
 * A running workflow whose customer plane stopped reporting (the plane was destroyed, or is down for
 * longer than its runs can wait) must not show `running` forever. The runner reports on every run it
 * executes at least every RUNNER_REPORT_INTERVAL_MS (a `workflow.heartbeat`, or any step event);
 * a workflow with no report for `timeoutMs` is ended `failed` with `customer_plane_silent`. Every
 * replica may sweep: the update is idempotent. If the plane was only cut off (its reports waited in
 * its outbox), its late reports set the workflow running again and its real outcome replaces this one.
 */
export function startSilenceSweeper(deps: { db: Db; log: Logger; timeoutMs: number; everyMs?: number }) {
  const everyMs = deps.everyMs ?? Math.max(1000, Math.min(30_000, Math.floor(deps.timeoutMs / 4)));
  const sweep = async (): Promise<string[]> => {
    const { rows } = await deps.db.query(
      `UPDATE workflows SET status = 'failed', error_code = $1, finished_at = now()
       WHERE status = 'running' AND COALESCE(last_report_at, started_at, created_at) < now() - make_interval(secs => $2::float8 / 1000)
       RETURNING id, tenant_id`,
      [SILENT_ERROR_CODE, deps.timeoutMs],
    );
    for (const r of rows) {
      deps.log.warn(
        { workflowId: r.id, tenant: r.tenant_id, silentForMs: deps.timeoutMs },
        'workflow failed: its customer plane stopped reporting on it',
      );
    }
    return rows.map((r) => r.id as string);
  };
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // A sweep that fails (Postgres down) is simply tried again at the next tick.
    running ??= sweep()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return {
    sweep,
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}
