-- Up Migration
-- The customer plane's run ledger and run records. Everything here stays in the customer's account:
-- outputs, findings, diffs and tool inputs are customer data; only counts and codes cross the boundary.
CREATE SCHEMA IF NOT EXISTS runtime;

CREATE TABLE runtime.runs (
  id text PRIMARY KEY,
  tenant_id uuid NOT NULL,
  template text NOT NULL,
  repo text NOT NULL,
  environment text NOT NULL DEFAULT 'sandbox',
  autonomy text NOT NULL DEFAULT 'assisted',
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error_code text NOT NULL DEFAULT 'none',
  -- Git tree id of the baseline copy: a resumed run checks the repository still has the same content.
  baseline_tree text,
  request_id text,
  -- Deliveries of the run's work message that reached a runner.
  attempts integer NOT NULL DEFAULT 0,
  started_event_id text NOT NULL,
  finished_event_id text,
  requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX runs_created ON runtime.runs (created_at DESC);

CREATE TABLE runtime.steps (
  -- The ULID that crosses the boundary as stepId.
  id text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_key text NOT NULL,
  idx integer NOT NULL,
  agent text NOT NULL,
  needs text[] NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
  error_code text NOT NULL DEFAULT 'none',
  -- Bumped every time the step starts; ledger rows of one attempt are replayed by the next.
  attempt integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  -- Order in which steps finished: completed steps' workspace diffs are replayed in this order.
  completion_seq integer,
  tree_before text,
  tree_after text,
  output jsonb,
  llm_calls integer NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  tool_calls integer NOT NULL DEFAULT 0,
  refusals integer NOT NULL DEFAULT 0,
  finished_event_id text,
  gate_event_id text,
  UNIQUE (run_id, step_key),
  UNIQUE (run_id, idx)
);

-- Every call an agent made, as the gate saw it and with what came of it.
CREATE TABLE runtime.tool_calls (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  tool text NOT NULL,
  input jsonb,
  decision text NOT NULL CHECK (decision IN ('allow', 'ask', 'deny')),
  reason text NOT NULL,
  approval text NOT NULL DEFAULT 'none',
  ok boolean NOT NULL,
  result_reason text,
  output_chars integer NOT NULL DEFAULT 0,
  truncated boolean NOT NULL DEFAULT false,
  replayed boolean NOT NULL DEFAULT false,
  duration_ms integer NOT NULL DEFAULT 0,
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (step_id, attempt, seq)
);

-- Every gate decision, in the order made (a console shows why a call was refused).
CREATE TABLE runtime.gate_decisions (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  agent text NOT NULL,
  tool text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('allow', 'ask', 'deny')),
  reason text NOT NULL,
  approval text NOT NULL CHECK (approval IN ('none', 'approved', 'rejected', 'timeout')),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gate_decisions_step ON runtime.gate_decisions (step_id, attempt, seq);

-- Calls that change something, planned → started → committed. A committed effect is replayed from
-- here (its result and workspace diff), never run again; a started one that never committed is
-- re-run only if it could not have reached outside the workspace.
CREATE TABLE runtime.effects (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  tool text NOT NULL,
  input_hash text NOT NULL,
  external boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('planned', 'started', 'committed', 'abandoned')),
  replayed boolean NOT NULL DEFAULT false,
  result jsonb,
  diff text,
  tree_before text,
  tree_after text,
  planned_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  committed_at timestamptz,
  UNIQUE (step_id, attempt, seq)
);

-- Model replies, so a step resumed after a crash follows the same path without calling the model again.
CREATE TABLE runtime.model_turns (
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  message jsonb NOT NULL,
  input_tokens integer NOT NULL,
  output_tokens integer NOT NULL,
  replayed boolean NOT NULL DEFAULT false,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (step_id, attempt, seq)
);

CREATE TABLE runtime.findings (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  rule text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  file text NOT NULL,
  line integer NOT NULL,
  message text NOT NULL
);
CREATE INDEX findings_run ON runtime.findings (run_id);

-- applied: what the step changed in the workspace (git diff of its snapshots); proposed: diffs in its output.
CREATE TABLE runtime.patches (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runtime.runs (id) ON DELETE CASCADE,
  step_id text NOT NULL REFERENCES runtime.steps (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('applied', 'proposed')),
  title text NOT NULL,
  diff text NOT NULL
);
CREATE INDEX patches_run ON runtime.patches (run_id);

-- Down Migration
DROP SCHEMA runtime CASCADE;
