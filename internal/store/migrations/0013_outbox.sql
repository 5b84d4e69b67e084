-- The notification outbox: every message to a person (e-mail or SMS) is
-- written here in the same transaction as the change that caused it, and
-- delivered later by a worker (registry.Service.DeliverOutbox). msg_key is the
-- idempotency key, one per event and channel: a second enqueue of the same
-- key does nothing. A worker claims a due message by setting lease_owner
-- and lease_until with a conditional UPDATE (one winner across replicas);
-- a message whose lease ran out (the worker died) is claimed again.
-- started_at is when delivery began (creation, or an admin's resend): the
-- worker gives up a message that has not gone out within the configured
-- time of it. data holds the template's values as JSON; secret holds a one-time link
-- token (password reset, e-mail verification) and is cleared once sent, so
-- an admin's view of the outbox never shows it.
CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    msg_key     TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL,
    template    TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    lang        TEXT NOT NULL,
    data        TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    attachment  TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until TEXT NOT NULL DEFAULT '',
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    sent_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(state, next_at);

-- The language a person reads their messages in (en or ur), and when they
-- proved their e-mail address by opening the link mailed at sign-up.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
ALTER TABLE users ADD COLUMN email_verified_at TEXT NOT NULL DEFAULT '';

-- E-mail verification links: as password_resets, only the token's SHA-256.
CREATE TABLE email_verifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX email_verifications_user ON email_verifications(user_id);
