-- TOTP second factor. totp_secret is set when enrolment starts and counts
-- only once totp_enabled_at is set (the user proved their app has it);
-- totp_last_step is the last time step accepted, so no code works twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- A token's scope: '' for a full session, 'totp_enrolment' for a login that
-- may only set up TOTP (staff whose role requires it and who have none yet).
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';
