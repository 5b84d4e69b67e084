-- ipreg schema, portable between SQLite and PostgreSQL: TEXT for times
-- (fixed-width RFC 3339 UTC, so they sort as strings), INTEGER 0/1 for
-- booleans, random text identifiers instead of dialect-specific sequences.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    cnic        TEXT NOT NULL,
    mobile      TEXT NOT NULL,
    ntn         TEXT NOT NULL DEFAULT '',
    secp_number TEXT NOT NULL DEFAULT '',
    pseb_number TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE operators (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE operator_prefixes (
    operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    prefix      TEXT NOT NULL,
    PRIMARY KEY (operator_id, prefix)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    account_id    TEXT REFERENCES accounts(id),
    operator_id   TEXT REFERENCES operators(id),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX tokens_expiry ON tokens(expires_at);

CREATE TABLE applications (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts(id),
    category          TEXT NOT NULL,
    operator_id       TEXT REFERENCES operators(id),
    subscriber_id     TEXT NOT NULL DEFAULT '',
    vpn_protocol      TEXT NOT NULL DEFAULT '',
    vpn_endpoints     TEXT NOT NULL DEFAULT '[]',
    purpose           TEXT NOT NULL DEFAULT '',
    payment_reference TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    flags             TEXT NOT NULL DEFAULT '[]',
    fee_due           INTEGER NOT NULL DEFAULT 0,
    fee_amount_pkr    BIGINT NOT NULL DEFAULT 0,
    fee_reason        TEXT NOT NULL DEFAULT '',
    return_note       TEXT NOT NULL DEFAULT '',
    reason_code       TEXT NOT NULL DEFAULT '',
    decision_note     TEXT NOT NULL DEFAULT '',
    registration      TEXT NOT NULL DEFAULT '',
    checked_items     TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT NOT NULL DEFAULT '',
    sla_due_at        TEXT NOT NULL DEFAULT '',
    decided_at        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX applications_account ON applications(account_id, created_at);
CREATE INDEX applications_queue ON applications(state, sla_due_at, submitted_at);

-- items are an application's addresses (kind 'ip', with range keys for
-- overlap tests) or mobile numbers (kind 'msisdn', range keys = the number).
CREATE TABLE items (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    value          TEXT NOT NULL,
    first_key      TEXT NOT NULL,
    last_key       TEXT NOT NULL,
    PRIMARY KEY (application_id, position)
);
CREATE INDEX items_range ON items(kind, first_key, last_key);

CREATE TABLE events (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    at             TEXT NOT NULL,
    actor_id       TEXT NOT NULL DEFAULT '',
    actor_role     TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE checks (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    operator_id    TEXT NOT NULL REFERENCES operators(id),
    state          TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    answered_at    TEXT NOT NULL DEFAULT '',
    answered_by    TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checks_operator ON checks(operator_id, state, due_at);
CREATE INDEX checks_due ON checks(state, due_at);

CREATE TABLE serials (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE registrations (
    number            TEXT PRIMARY KEY,
    application_id    TEXT NOT NULL UNIQUE REFERENCES applications(id),
    account_id        TEXT NOT NULL REFERENCES accounts(id),
    category          TEXT NOT NULL,
    operator_id       TEXT NOT NULL REFERENCES operators(id),
    status            TEXT NOT NULL,
    valid_from        TEXT NOT NULL,
    valid_until       TEXT NOT NULL,
    verification_code TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    ended_at          TEXT NOT NULL DEFAULT '',
    end_reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX registrations_account ON registrations(account_id);
CREATE INDEX registrations_expiry ON registrations(status, valid_until);

CREATE TABLE revocations (
    id                  TEXT PRIMARY KEY,
    registration_number TEXT NOT NULL REFERENCES registrations(number),
    reason              TEXT NOT NULL,
    state               TEXT NOT NULL,
    proposed_by         TEXT NOT NULL REFERENCES users(id),
    proposed_at         TEXT NOT NULL,
    decided_by          TEXT NOT NULL DEFAULT '',
    decided_at          TEXT NOT NULL DEFAULT ''
);
-- At most one revocation waits for a second signature per registration.
CREATE UNIQUE INDEX revocations_one_pending ON revocations(registration_number) WHERE state = 'pending';

CREATE TABLE settings (
    id    INTEGER PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_object ON audit_log(object_type, object_id);

-- The head row serialises appends (each append updates it first, taking its
-- row lock) and records where the chain ends, so truncation is detectable.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
