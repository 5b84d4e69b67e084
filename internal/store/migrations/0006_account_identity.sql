-- One individual account per CNIC, one company account per NTN
-- (registry.Account.IdentityKey): "individual:" and the CNIC's 13 digits,
-- or "company:" and the NTN's seven digits without the check digit (the
-- 13 digits of a CNIC used as NTN). The unique index makes the rule hold
-- against concurrent sign-ups.
--
-- Databases from before the rule may already hold two accounts with one
-- CNIC or NTN. The migration must not fail on them, nor take an account
-- away: the oldest account of each CNIC or NTN gets the key, later ones
-- keep NULL (which a unique index allows many times) and go on working.
-- They are found with
--   SELECT id, kind, cnic, ntn FROM accounts WHERE identity_key IS NULL;
-- No new account can join either.
ALTER TABLE accounts ADD COLUMN identity_key TEXT;

UPDATE accounts SET identity_key = 'individual:' || REPLACE(cnic, '-', '')
WHERE kind = 'individual' AND cnic <> '' AND NOT EXISTS (
    SELECT 1 FROM accounts b
    WHERE b.kind = 'individual' AND REPLACE(b.cnic, '-', '') = REPLACE(accounts.cnic, '-', '')
      AND (b.created_at < accounts.created_at OR (b.created_at = accounts.created_at AND b.id < accounts.id)));

UPDATE accounts SET identity_key = 'company:' ||
    CASE WHEN LENGTH(REPLACE(ntn, '-', '')) = 8 THEN SUBSTR(REPLACE(ntn, '-', ''), 1, 7) ELSE REPLACE(ntn, '-', '') END
WHERE kind = 'company' AND ntn <> '' AND NOT EXISTS (
    SELECT 1 FROM accounts b
    WHERE b.kind = 'company' AND b.ntn <> ''
      AND CASE WHEN LENGTH(REPLACE(b.ntn, '-', '')) = 8 THEN SUBSTR(REPLACE(b.ntn, '-', ''), 1, 7) ELSE REPLACE(b.ntn, '-', '') END
        = CASE WHEN LENGTH(REPLACE(accounts.ntn, '-', '')) = 8 THEN SUBSTR(REPLACE(accounts.ntn, '-', ''), 1, 7) ELSE REPLACE(accounts.ntn, '-', '') END
      AND (b.created_at < accounts.created_at OR (b.created_at = accounts.created_at AND b.id < accounts.id)));

CREATE UNIQUE INDEX accounts_identity ON accounts(identity_key);
