-- Renewal and amendment. An application has a kind: new (the first
-- application of a registration), renewal or amendment; the last two name
-- the registration they change (for_registration). given_up lists what
-- the holder gave up with an amendment (it left the allowlist at once).
ALTER TABLE applications ADD COLUMN kind TEXT NOT NULL DEFAULT 'new';
ALTER TABLE applications ADD COLUMN for_registration TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN given_up TEXT NOT NULL DEFAULT '[]';
-- At most one open renewal or amendment per registration.
CREATE UNIQUE INDEX applications_one_open_change ON applications(for_registration)
    WHERE for_registration <> '' AND state IN ('draft', 'operator_check', 'review', 'returned');

-- A registration's items are its own: approval copies the application's,
-- a renewal or an amendment replaces or extends them, and a holder giving
-- something up removes it, without touching any application.
CREATE TABLE registration_items (
    registration_number TEXT NOT NULL REFERENCES registrations(number),
    position            INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    value               TEXT NOT NULL,
    first_key           TEXT NOT NULL,
    last_key            TEXT NOT NULL,
    PRIMARY KEY (registration_number, position)
);
CREATE INDEX registration_items_range ON registration_items(kind, first_key, last_key);
INSERT INTO registration_items (registration_number, position, kind, value, first_key, last_key)
    SELECT r.number, i.position, i.kind, i.value, i.first_key, i.last_key
    FROM registrations r JOIN items i ON i.application_id = r.application_id;
