-- The last moment a rejection may be appealed, fixed when it is taken, so a
-- later change of the appeal_days setting does not move a deadline already
-- given to the applicant. '' for rejections taken before this migration:
-- their deadline is the rejection plus the present appeal_days, and it is
-- fixed (written here) when an admin first changes appeal_days
-- (registry.Service.UpdateSettings), so that change does not move it.
ALTER TABLE applications ADD COLUMN appeal_by TEXT NOT NULL DEFAULT '';
