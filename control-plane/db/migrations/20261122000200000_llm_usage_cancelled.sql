-- Up Migration
-- Requests the caller left before they finished are billed with what the provider produced until
-- then; where the provider's usage report never came, part of the count is our estimate. Both are
-- counted per row so an invoice can say how much of a total is estimated. Absolute running
-- totals like the other counters (see 20261122000100000_llm_usage.sql).
ALTER TABLE llm_usage
  ADD COLUMN cancelled_requests bigint NOT NULL DEFAULT 0 CHECK (cancelled_requests >= 0),
  ADD COLUMN estimated_requests bigint NOT NULL DEFAULT 0 CHECK (estimated_requests >= 0);

-- Down Migration
ALTER TABLE llm_usage DROP COLUMN cancelled_requests, DROP COLUMN estimated_requests;
