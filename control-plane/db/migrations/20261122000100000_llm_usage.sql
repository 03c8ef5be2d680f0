-- Up Migration
-- LLM proxy usage: one row per tenant, day, provider model and proxy replica. Each replica writes
-- its ABSOLUTE running totals (never increments), so re-sending a flush is a no-op and a flush
-- that failed is simply repeated with newer totals. Reads sum over replicas.
CREATE TABLE llm_usage (
  tenant_id uuid NOT NULL,
  day date NOT NULL,
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  model text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
  tier text NOT NULL CHECK (tier IN ('core', 'ultra')),
  replica_id uuid NOT NULL,
  requests bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  input_tokens bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cached_input_tokens bigint NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  cache_creation_tokens bigint NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
  output_tokens bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  failovers bigint NOT NULL DEFAULT 0 CHECK (failovers >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, day, provider, model, tier, replica_id)
);
CREATE INDEX llm_usage_tenant_day ON llm_usage (tenant_id, day);

-- Down Migration
DROP TABLE llm_usage;
