-- When the registration's present certificate was issued: its approval,
-- then each renewal or amendment that reissues it. A certificate signed
-- with an earlier issue time is superseded.
ALTER TABLE registrations ADD COLUMN issued_at TEXT NOT NULL DEFAULT '';
UPDATE registrations SET issued_at = created_at;
