-- An account's erasure (registry.Service.DeleteAccount) left the
-- subscriber id in applications.checked_items, the key of what an
-- operator last confirmed ("operator|subscriber id|items"). Erasure now
-- blanks it; this blanks it for the accounts erased before. An erased
-- account's users carry the tombstone address erased-<id>@erased.invalid.
UPDATE applications SET checked_items = ''
WHERE checked_items <> ''
  AND account_id IN (SELECT account_id FROM users
                     WHERE account_id IS NOT NULL AND email LIKE 'erased-%@erased.invalid');
