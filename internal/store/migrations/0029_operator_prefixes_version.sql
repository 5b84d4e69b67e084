-- A counter of the operator's address space loads (SetOperatorPrefixes
-- adds one), so that a process may keep the space it read and read one
-- small row, not every prefix, to know it is still current: each view of
-- a pending application checks its addresses against it (registry
-- operatorSpace). Replicas see each other's loads through it.
ALTER TABLE operators ADD COLUMN prefixes_version BIGINT NOT NULL DEFAULT 0;
