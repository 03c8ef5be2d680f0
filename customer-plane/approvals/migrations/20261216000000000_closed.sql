-- Up Migration
-- An approval whose run or step ended another way (failed, dead-lettered, skipped, finished without
-- the action) is closed at once, with the reason in `note`: it is no longer pending, and a decision
-- taken afterwards is refused with approval_closed.
ALTER TABLE approvals.requests DROP CONSTRAINT requests_status_check;
ALTER TABLE approvals.requests ADD CONSTRAINT requests_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'superseded', 'closed'));

-- Down Migration
UPDATE approvals.requests SET status = 'expired' WHERE status = 'closed';
ALTER TABLE approvals.requests DROP CONSTRAINT requests_status_check;
ALTER TABLE approvals.requests ADD CONSTRAINT requests_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'superseded'));
