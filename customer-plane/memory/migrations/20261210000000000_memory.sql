-- Up Migration
-- The customer plane's agent memory, five layers, all local: nothing here ever crosses the boundary.
-- Everything derived from a repository carries its `repo` alias, so `npm run memory -- forget --repo`
-- can delete all of it; the meta-cognitive layer holds only counts per agent and environment.
CREATE SCHEMA IF NOT EXISTS memory;

-- working: the run's scratchpad, one row per finished step (what it read, which tools it used, how many
-- model turns it reused). Rolled up into the other layers when the run ends, then deleted.
CREATE TABLE memory.working (
  run_id text NOT NULL,
  step_id text NOT NULL,
  repo text NOT NULL,
  environment text NOT NULL,
  template text NOT NULL,
  step_key text NOT NULL,
  agent text NOT NULL,
  autonomy text NOT NULL,
  succeeded boolean NOT NULL,
  -- The step started on the repository as it is (no earlier step of the run had changed the workspace).
  baseline boolean NOT NULL,
  -- [{path, sha256, full}]: every read_file result the step got, hashed.
  files jsonb NOT NULL DEFAULT '[]',
  -- [{tool, target, ok}]: the step's tool calls in order.
  tools jsonb NOT NULL DEFAULT '[]',
  turns_live integer NOT NULL DEFAULT 0,
  turns_reused integer NOT NULL DEFAULT 0,
  -- The indexer's per-file records (language, lines, symbols), when the step was the indexer.
  index_files jsonb,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, step_id)
);
CREATE INDEX working_repo ON memory.working (repo);

-- episodic: past runs' outcomes per repository, template and environment.
CREATE TABLE memory.episodes (
  run_id text PRIMARY KEY,
  repo text NOT NULL,
  environment text NOT NULL,
  template text NOT NULL,
  status text NOT NULL,
  error_code text NOT NULL,
  steps integer NOT NULL,
  steps_failed integer NOT NULL,
  llm_calls integer NOT NULL,
  turns_reused integer NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  findings integer NOT NULL,
  -- Files whose content differed from the previous run on this repository and environment (null: no previous run).
  files_changed integer,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX episodes_recent ON memory.episodes (repo, environment, template, finished_at DESC);

-- semantic: the repository's files as last seen, keyed by content hash, with the indexer's symbols.
CREATE TABLE memory.semantic_files (
  repo text NOT NULL,
  environment text NOT NULL,
  path text NOT NULL,
  sha256 text NOT NULL,
  language text,
  lines integer,
  symbols jsonb,
  run_id text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, environment, path)
);
CREATE INDEX semantic_files_hash ON memory.semantic_files (repo, environment, sha256);

-- semantic: model turns keyed by the hash of everything the model saw (instructions, tools, output
-- schema, earlier steps' outputs, every tool result so far). Reused only for a byte-identical request in
-- the same repository and environment; written only by steps that succeeded.
CREATE TABLE memory.semantic_turns (
  repo text NOT NULL,
  environment text NOT NULL,
  key text NOT NULL,
  agent text NOT NULL,
  message jsonb NOT NULL,
  input_tokens integer NOT NULL,
  output_tokens integer NOT NULL,
  hits integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, environment, key)
);
CREATE INDEX semantic_turns_used ON memory.semantic_turns (repo, environment, used_at);

-- procedural: tool sequences that succeeded, per repository, environment, template step and agent.
CREATE TABLE memory.procedures (
  repo text NOT NULL,
  environment text NOT NULL,
  template text NOT NULL,
  step_key text NOT NULL,
  agent text NOT NULL,
  sequence_hash text NOT NULL,
  sequence jsonb NOT NULL,
  successes integer NOT NULL DEFAULT 0,
  last_run_id text NOT NULL,
  last_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, environment, template, step_key, agent, sequence_hash)
);

-- meta-cognitive: per agent and environment, the record that sets its autonomy level. Counts only.
CREATE TABLE memory.standing (
  agent text NOT NULL,
  environment text NOT NULL,
  level text NOT NULL CHECK (level IN ('observe', 'assisted', 'autonomous')),
  successes integer NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  overrides integer NOT NULL DEFAULT 0,
  consecutive_successes integer NOT NULL DEFAULT 0,
  consecutive_failures integer NOT NULL DEFAULT 0,
  overrides_since_change integer NOT NULL DEFAULT 0,
  changed_at timestamptz,
  change_reason text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent, environment)
);

-- Each outcome counted once (a redelivered run rolls up again): the step, approval or patch it came from.
-- `repo` is set when the event came from a run on that repository, so forgetting it removes the link.
CREATE TABLE memory.standing_events (
  id bigserial PRIMARY KEY,
  ref text NOT NULL,
  agent text NOT NULL,
  environment text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('success', 'failure', 'neutral', 'override', 'reset')),
  repo text,
  level_before text NOT NULL,
  level_after text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ref, kind)
);
CREATE INDEX standing_events_agent ON memory.standing_events (agent, environment, id DESC);

-- Down Migration
DROP SCHEMA memory CASCADE;
