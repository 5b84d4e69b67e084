-- Placeholder so that 0013 (renewal, branch h/renew) loads on this branch alone;
-- at merge the other parts' migrations take this number and this file goes.
SELECT 1;
