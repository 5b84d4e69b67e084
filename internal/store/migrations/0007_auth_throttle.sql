-- Throttles for unauthenticated paths (login, sign-up, password reset),
-- shared by every replica over one database. bucket is opaque to the store:
-- the registry gives a kind and a SHA-256 of what it counts (an e-mail and
-- a client address), so no e-mail or address sits here in clear. A window
-- opens at a bucket's first attempt and lasts until window_end;
-- attempts counts what was reserved in it. Rows of ended windows are
-- deleted by the background jobs.
CREATE TABLE auth_attempts (
    bucket       TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    attempts     INTEGER NOT NULL
);
CREATE INDEX auth_attempts_end ON auth_attempts(window_end);
-- Client addresses (SHA-256 with the user id) that logged in to a user
-- successfully, and when last: such a client keeps its own allowance when
-- a spray of failures from elsewhere exhausts the account's limit.
CREATE TABLE login_clients (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client     TEXT NOT NULL,
    last_login TEXT NOT NULL,
    PRIMARY KEY (user_id, client)
);
CREATE INDEX login_clients_last ON login_clients(last_login);
