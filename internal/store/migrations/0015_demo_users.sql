-- Users made while the server ran under --demo (sign-ups, staff an admin
-- added in the demo): 1 for those. ipreg serve --demo restarts on a
-- database whose users are all the demo's own (@demo.test) or made in demo
-- mode, and refuses one that holds any other user, since the demo's
-- published passwords must never sit beside real accounts.
ALTER TABLE users ADD COLUMN made_in_demo INTEGER NOT NULL DEFAULT 0;
