-- Up Migration
CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  llm_mode text NOT NULL DEFAULT 'direct' CHECK (llm_mode IN ('direct', 'routed')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One-time enrollment tokens: the jti is consumed in the same transaction that registers the key.
CREATE TABLE enroll_tokens (
  jti uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- Public keys only: the private half never leaves the customer plane.
CREATE TABLE tenant_keys (
  kid text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX tenant_keys_tenant ON tenant_keys (tenant_id);

CREATE TABLE leaf_users (
  tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  username text NOT NULL UNIQUE,
  password_bcrypt text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflows (
  id text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  template text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  error_code text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  steps integer,
  dispatch_attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX workflows_tenant ON workflows (tenant_id, created_at DESC);

CREATE TABLE workflow_steps (
  step_id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL,
  idx integer NOT NULL,
  agent text NOT NULL,
  status text NOT NULL,
  error_code text NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  llm_calls integer NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL
);
-- One row per step position: a workflow re-run after a runner crash replaces its steps, never doubles them.
CREATE UNIQUE INDEX workflow_steps_position ON workflow_steps (workflow_id, idx);

-- Every verified up batch, keyed by (kid, seq): a seq is used once per key, ever. The digest lets a
-- redelivery of the very same batch be told apart from a replay of an old seq with other content.
CREATE TABLE up_batches (
  kid text NOT NULL,
  seq bigint NOT NULL,
  tenant_id uuid NOT NULL,
  kind text NOT NULL,
  digest text NOT NULL,
  events integer NOT NULL,
  stream_seq bigint NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kid, seq)
);
CREATE INDEX up_batches_tenant ON up_batches (tenant_id, received_at);

-- Verified events as received (they are metadata by construction: the boundary schema admits nothing else).
CREATE TABLE up_events (
  event_id text PRIMARY KEY,
  tenant_id uuid NOT NULL,
  kind text NOT NULL,
  kid text NOT NULL,
  seq bigint NOT NULL,
  body jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX up_events_tenant ON up_events (tenant_id, kind, received_at);

-- Down Migration
DROP TABLE up_events;
DROP TABLE up_batches;
DROP TABLE workflow_steps;
DROP TABLE workflows;
DROP TABLE leaf_users;
DROP TABLE tenant_keys;
DROP TABLE enroll_tokens;
DROP TABLE tenants;
