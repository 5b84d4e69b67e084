-- On PostgreSQL a write transaction no longer links its audit entries into
-- the chain itself: it inserts them here, taking no lock, and the sealer
-- (store.auditSealer) moves them into audit_log after the commit, many
-- transactions' entries at a time, under audit_head's row lock. Before,
-- every write transaction held that lock through two round trips and its
-- commit's WAL flush, so all writes of all replicas passed one at a time
-- (issue 14: 63 % of the non-idle backends sampled under load waited on
-- it). The chain's order is the order of sealing, which within one
-- transaction is the order of appending (the id sorts so).
--
-- id: the flush's time (UTC nanoseconds, 20 digits), a random batch id and
-- the entry's place in its transaction, "00001764460800000000000-1a2b3c4d5e6f7a8b-000000":
-- portable (no sequence), unique, and sorting in append order within a
-- transaction. SQLite's one writer seals in the transaction as before and
-- leaves this table empty.
CREATE TABLE audit_pending (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_pending_object ON audit_pending(object_type, object_id);
