-- Up Migration
-- Pending and decided approvals of consequential actions. Local to the customer plane: previews hold
-- argv, paths and diffs of customer code; nothing here crosses the boundary.
CREATE SCHEMA IF NOT EXISTS approvals;

CREATE TABLE approvals.requests (
  -- A ULID: what a person names in `npm run approvals -- approve <id>` and the local API.
  id text PRIMARY KEY,
  run_id text NOT NULL,
  step_id text NOT NULL,
  -- The call's sequence number in its step; with the step and the action key it identifies the ask
  -- across attempts, so a run resumed after a crash waits on the same approval instead of a new one.
  seq integer NOT NULL,
  -- sha256 of the action (tool and preview, without the host-specific cwd).
  action_key text NOT NULL,
  agent text NOT NULL,
  tool text NOT NULL,
  reason text NOT NULL,
  consequences text[] NOT NULL DEFAULT '{}',
  environment text NOT NULL,
  autonomy text NOT NULL,
  preview jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'superseded')),
  created_at timestamptz NOT NULL,
  warn_at timestamptz NOT NULL,
  deadline_at timestamptz NOT NULL,
  warned_at timestamptz,
  decided_at timestamptz,
  decided_by text,
  note text,
  UNIQUE (step_id, seq, action_key),
  CHECK (warn_at <= deadline_at)
);
CREATE INDEX requests_pending ON approvals.requests (deadline_at) WHERE status = 'pending';
CREATE INDEX requests_created ON approvals.requests (created_at DESC, id DESC);
CREATE INDEX requests_run ON approvals.requests (run_id);

-- Down Migration
DROP SCHEMA approvals CASCADE;
