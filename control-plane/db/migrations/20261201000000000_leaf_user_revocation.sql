-- Up Migration
-- A tenant's leaf login can be revoked: the hub's accounts file is rendered without it, so the hub
-- refuses the login and a leaf still connected with it reaches nothing. Re-enrolling clears it.
ALTER TABLE leaf_users ADD COLUMN revoked_at timestamptz;

-- Down Migration
ALTER TABLE leaf_users DROP COLUMN revoked_at;
