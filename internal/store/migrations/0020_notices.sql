-- Public notices (deadlines, policy changes, planned maintenance), in
-- English and Urdu, and every version each one had: notice_revisions
-- keeps the whole text and dates of each revision, so a deadline that was
-- moved shows its old and new date on the notices page and in the feed.
-- expires_at and withdrawn_at are '' when unset.
CREATE TABLE notices (
    id           TEXT PRIMARY KEY,
    title_en     TEXT NOT NULL,
    title_ur     TEXT NOT NULL,
    body_en      TEXT NOT NULL,
    body_ur      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL DEFAULT '',
    withdrawn_at TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    revision     INTEGER NOT NULL
);
CREATE INDEX notices_published ON notices(published_at);

CREATE TABLE notice_revisions (
    notice_id    TEXT NOT NULL REFERENCES notices(id),
    revision     INTEGER NOT NULL,
    changed_at   TEXT NOT NULL,
    changed_by   TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    title_ur     TEXT NOT NULL,
    body_en      TEXT NOT NULL,
    body_ur      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL DEFAULT '',
    withdrawn_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (notice_id, revision)
);
