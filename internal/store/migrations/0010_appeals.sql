-- Appeals against rejections: one per rejection (the application and the
-- moment it was rejected), decided by a supervisor who did not take the
-- rejection. state: pending, upheld, overturned; outcome with overturned:
-- approve or return.
CREATE TABLE appeals (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    rejected_at    TEXT NOT NULL,
    rejected_by    TEXT NOT NULL,
    statement      TEXT NOT NULL,
    state          TEXT NOT NULL,
    submitted_by   TEXT NOT NULL,
    submitted_at   TEXT NOT NULL,
    sla_due_at     TEXT NOT NULL,
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    UNIQUE (application_id, rejected_at)
);
CREATE INDEX appeals_state ON appeals(state, sla_due_at);

-- Escalations of applications (and appeals) past their SLA due time: one
-- row per subject and due time, so each is escalated once even when
-- several replicas run the job.
CREATE TABLE escalations (
    subject      TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    escalated_at TEXT NOT NULL,
    PRIMARY KEY (subject, due_at)
);
