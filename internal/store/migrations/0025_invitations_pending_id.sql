-- The pending invitations are read a page at a time in the order
-- (created_at, id). An import invites all its holders at one instant, so
-- with the index on (used_at, created_at) alone every page sorted all
-- 31,000 of them by id. With id last the index holds the whole order and
-- the page's ids (PendingInvitationsPage skips the pages before through
-- the index alone, then reads one page of rows).
DROP INDEX invitations_pending;
CREATE INDEX invitations_pending ON invitations(used_at, created_at, id);
