-- Up Migration
-- What a step did, as counts (the agent runtime's step.finished): tool calls, refusals, findings by
-- severity, patches. NULL for steps reported by runners before the runtime.
ALTER TABLE workflow_steps
  ADD COLUMN tool_calls integer,
  ADD COLUMN refusals integer,
  ADD COLUMN findings jsonb,
  ADD COLUMN patches integer;

-- The customer plane's gate decisions per step, counted by tool, decision, reason code and approval
-- outcome (gate.decisions events). Codes only: what was asked for stays in the customer plane.
CREATE TABLE workflow_gate_decisions (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL,
  step_id text NOT NULL,
  agent text NOT NULL,
  tool text NOT NULL,
  decision text NOT NULL,
  reason text NOT NULL,
  approval text NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (step_id, tool, decision, reason, approval)
);
CREATE INDEX workflow_gate_decisions_workflow ON workflow_gate_decisions (workflow_id);

-- Down Migration
DROP TABLE workflow_gate_decisions;
ALTER TABLE workflow_steps DROP COLUMN tool_calls, DROP COLUMN refusals, DROP COLUMN findings, DROP COLUMN patches;
