-- The public statistics' monthly rollup (registry.MonthFigures): one row
-- per month (YYYY-MM, months in Pakistan Standard Time) with its raw,
-- unsuppressed figures as JSON, built by the stats-rollup job (and on
-- demand for a month never built). The public page and GET /api/v1/stats
-- read at most 36 of these rows, so they answer in the same time with a
-- million applications as with ten; small counts are suppressed when the
-- rows are read, never stored suppressed, so the threshold can change.
CREATE TABLE stats_months (
    month    TEXT PRIMARY KEY,
    figures  TEXT NOT NULL,
    built_at TEXT NOT NULL
);
-- What the rollup reads for one month, by time range: the decisions,
-- returns and withdrawals (events by type and time), submissions,
-- appeals and operator checks.
CREATE INDEX events_type_at ON events(type, at);
CREATE INDEX applications_submitted ON applications(submitted_at);
CREATE INDEX appeals_submitted ON appeals(submitted_at);
CREATE INDEX checks_created ON checks(created_at);
