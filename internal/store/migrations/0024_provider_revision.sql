-- A provider's revision: 1 when added, one more for each change that
-- changes something. A change names the revision it was made on and is
-- refused when someone else changed the provider since (optimistic
-- concurrency, as notices.revision); updated_at stays, as information.
-- Entries added before this migration start at 1.
ALTER TABLE providers ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
