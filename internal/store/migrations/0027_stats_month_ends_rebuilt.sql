-- The month-end active figures were counted at the first instant of the
-- next month instead of the month's last second (23:59:59 PKT): a
-- registration valid from 00:00 PKT on the 1st counted at the end of the
-- month before, and one valid until the last day's 23:59:59 did not. The
-- rule is fixed in the code; every month built before it is marked here,
-- so the stats-rollup job (or the first page that asks) rebuilds it with
-- the right ends instead of keeping the old counts as final.
INSERT INTO stats_dirty (month, marked_at)
SELECT month, '2026-11-30T00:00:00.000000Z' FROM stats_months
WHERE month NOT IN (SELECT month FROM stats_dirty);
