-- The public register of licensed VPN service providers (issue 13): a
-- customer of one of them need not register their own VPN. Admins keep
-- it; a provider is never deleted, its status changes instead (suspended,
-- expired, revoked), so the register keeps its history and the audit log
-- names every change. licence_number is unique as written in upper case
-- (the registry normalises it); licence_date is a calendar date
-- (YYYY-MM-DD, no time zone); website is an https URL or empty.
CREATE TABLE providers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    licence_number TEXT NOT NULL UNIQUE,
    licence_date   TEXT NOT NULL,
    status         TEXT NOT NULL,
    website        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX providers_name ON providers(name);
