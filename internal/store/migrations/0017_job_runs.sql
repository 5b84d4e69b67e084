-- The recent runs of each background job, one row per run its runner
-- recorded (a run whose lease was taken over records nothing): which
-- replica ran it, for which due time, when, and how it ended. It makes
-- "each scheduled run happens once across replicas" observable: no two
-- rows of a job share a due time or overlap. Rows older than a week are
-- deleted as each job records a run.
CREATE TABLE job_runs (
    name        TEXT NOT NULL,
    runner      TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    result      TEXT NOT NULL,
    items       INTEGER NOT NULL,
    PRIMARY KEY (name, started_at, runner)
);
CREATE INDEX job_runs_finished ON job_runs(name, finished_at);
