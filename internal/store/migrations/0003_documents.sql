-- Uploaded documents: the records only. Contents live encrypted in the data
-- directory (internal/docstore), never in the database. A purged document
-- keeps its record, so the timeline still says what was provided.
CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    kind           TEXT NOT NULL,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    purged_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX documents_application ON documents(application_id, uploaded_at);
CREATE INDEX documents_unpurged ON documents(purged_at);
