-- Months of the statistics' rollup whose history changed after they were
-- built (an import of registrations approved in earlier months changes
-- their month-end active registrations): written in the transaction that
-- changed them, taken by the transaction that rebuilds the month (the
-- stats-rollup job, or a page asking for the month). The job otherwise
-- leaves a month alone once rebuilt after its end.
CREATE TABLE stats_dirty (
    month     TEXT PRIMARY KEY,
    marked_at TEXT NOT NULL
);
