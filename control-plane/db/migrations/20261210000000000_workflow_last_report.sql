-- Up Migration
-- When the customer plane last reported on a running workflow (any of its events, or a heartbeat).
-- A running workflow whose plane stays silent longer than WORKFLOW_SILENCE_TIMEOUT_MS is failed with
-- `customer_plane_silent` (control-plane/routing/silence.ts) instead of showing `running` forever.
ALTER TABLE workflows ADD COLUMN last_report_at timestamptz;
CREATE INDEX workflows_running ON workflows (last_report_at) WHERE status = 'running';

-- Down Migration
DROP INDEX workflows_running;
ALTER TABLE workflows DROP COLUMN last_report_at;
