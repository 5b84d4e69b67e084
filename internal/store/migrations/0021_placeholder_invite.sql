-- Placeholder so that 0022 (invitations, h/invite) loads on this branch: the loader
-- refuses gaps. The real 0021 is another branch's; delete this file at merge.
SELECT 1;
