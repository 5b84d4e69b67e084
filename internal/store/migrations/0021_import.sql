-- Importing the regulator's existing allowlist (ipreg import
-- registrations). import_key identifies a registration an import created:
-- "ref:" and the file's legacy reference, or "auto:" and a digest of the
-- holder's e-mail, category, operator and dates when the file gives none.
-- A second run of the same file finds its rows here and changes nothing.
-- Registrations made by approvals keep NULL, which the unique index
-- allows many times on both databases.
ALTER TABLE registrations ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX registrations_import_key ON registrations(import_key);
