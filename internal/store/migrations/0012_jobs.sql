-- The background jobs' schedule and leases: one row per named job. A
-- replica runs a job only after claiming its row with a conditional UPDATE
-- (due, and not leased or the lease ended), so with several replicas over
-- one database each scheduled run happens once; a crashed runner's lease
-- ends at lease_until and another replica takes the job over. The units of
-- work inside a job are still re-read under lock by the job itself.
CREATE TABLE job_leases (
    name             TEXT PRIMARY KEY,
    next_run_at      TEXT NOT NULL,
    running_by       TEXT NOT NULL DEFAULT '',
    lease_until      TEXT NOT NULL DEFAULT '',
    run_requested_by TEXT NOT NULL DEFAULT '',
    started_at       TEXT NOT NULL DEFAULT '',
    finished_at      TEXT NOT NULL DEFAULT '',
    last_result      TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    last_items       INTEGER NOT NULL DEFAULT 0,
    last_duration_ms INTEGER NOT NULL DEFAULT 0,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    runs             INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,
    items            INTEGER NOT NULL DEFAULT 0
);
