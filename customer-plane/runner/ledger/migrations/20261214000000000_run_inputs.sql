-- Up Migration
-- Inputs given to a run locally (CLI, later the console). Only the id crosses to the vendor, in the
-- dispatch that names it; plain values stay here, secret values stay in the secret store
-- (run-inputs/<id>/<NAME>) and are deleted when the run that used them ends.
CREATE TABLE runtime.run_inputs (
  id text PRIMARY KEY,
  -- When set, only a run of this template may use the inputs.
  template text,
  params jsonb NOT NULL DEFAULT '{}',
  secret_names text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- Single use: the first run that names the inputs claims them; a resumed run is the same run.
  run_id text,
  claimed_at timestamptz,
  -- The secret values were deleted from the store (the run ended, or the inputs expired unused).
  discarded_at timestamptz
);

-- Down Migration
DROP TABLE runtime.run_inputs;
