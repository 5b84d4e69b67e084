-- The review queue is read a page at a time in the order (sla_due_at,
-- submitted_at, id) among applications in one state. With id last the
-- index holds that whole order: a page is read straight off it (no sort of
-- the applications tied on the first two), and the next page starts where
-- the last ended (keyset, ListApplications' After) instead of counting
-- through the ones before it. Measured with a million applications:
-- BENCHMARKS.md, "Reviewer pages with 1,000,000 applications".
DROP INDEX applications_queue;
CREATE INDEX applications_queue ON applications(state, sla_due_at, submitted_at, id);

-- An application's operator checks (read by a withdrawal, a decision and a
-- correction sent back) were found by scanning every check ever made:
-- EXPLAIN showed SCAN c, a million rows at a million applications.
CREATE INDEX checks_application ON checks(application_id);
