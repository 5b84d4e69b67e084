-- Placeholder so that 0016 (appeal_by, branch h/fappeal) loads on this branch alone;
-- at merge the other parts' migrations take this number and this file goes.
SELECT 1;
