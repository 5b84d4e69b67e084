-- Invitations to claim an account made for someone else (an imported
-- holder of the existing allowlist): one row per user, so an account has at
-- most one invitation; inviting again renews the row (new hash, new expiry).
-- As password_resets, only the token's SHA-256 is kept: the token itself
-- is in the e-mailed link (the outbox clears it once sent), or shown once
-- to the admin who made a link to hand out. mailed says whether the link
-- went to the account's e-mail address (claiming it then proves the
-- mailbox); used_at is when it was claimed.
CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    mailed     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_pending ON invitations(used_at, created_at);
