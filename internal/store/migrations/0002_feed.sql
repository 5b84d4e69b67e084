-- The allowlist feed. feed_changes is the outbox: the registry writes a
-- row in the same transaction as each approval or ending, so the feed can
-- neither miss nor invent a change. The publisher applies changes to
-- feed_entries (the current set) and publishes versions per scope: '' is the
-- global feed, an operator id that operator's feed (global prefixes plus its
-- mobile numbers).
CREATE TABLE feed_changes (
    seq        BIGINT PRIMARY KEY,
    target     TEXT NOT NULL,     -- '' for prefixes, an operator id for its mobile numbers
    op         TEXT NOT NULL,     -- add or remove
    entry_key  TEXT NOT NULL,
    entry      TEXT NOT NULL,     -- JSON of feed.Entry
    effective  INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE feed_entries (
    target    TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    entry     TEXT NOT NULL,
    PRIMARY KEY (target, entry_key)
);
CREATE INDEX feed_entries_key ON feed_entries(entry_key);

-- The head row serialises publishers across replicas and records how far
-- the outbox has been applied.
CREATE TABLE feed_head (
    id          INTEGER PRIMARY KEY,
    applied_seq BIGINT NOT NULL
);
INSERT INTO feed_head (id, applied_seq) VALUES (1, 0);

CREATE TABLE feed_scopes (
    scope            TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL,
    version          BIGINT NOT NULL,
    change_seq       BIGINT NOT NULL,  -- outbox position this scope has published
    notification     TEXT NOT NULL,
    signed_at        TEXT NOT NULL,
    signed_with      TEXT NOT NULL,     -- keys used, to notice a rotation
    snapshot_version BIGINT NOT NULL,
    snapshot_name    TEXT NOT NULL,
    snapshot_at      TEXT NOT NULL
);

CREATE TABLE feed_files (
    name        TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- snapshot or delta
    version     BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    content     BYTEA NOT NULL,
    created_at  TEXT NOT NULL,
    unlisted_at TEXT NOT NULL DEFAULT '' -- when it left the notification; deleted an hour later
);
CREATE INDEX feed_files_scope ON feed_files(scope, kind, version);
