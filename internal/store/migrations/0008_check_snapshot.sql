-- A check shows what its operator was asked to confirm: the subscriber ID,
-- category, holder and items as they were when the check was opened
-- (registry.Check). Before, a check read the application's live row, so
-- an application returned, moved to another operator and edited showed the
-- new operator's subscriber ID and items in the first operator's old checks.
ALTER TABLE checks ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN subscriber_id TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN holder_name TEXT NOT NULL DEFAULT '';

-- The items of a check: addresses (kind 'ip') and mobile numbers (kind
-- 'msisdn'), in the application's order.
CREATE TABLE check_items (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (check_id, position)
);

-- Checks opened before the snapshot: what they were asked is lost. A check
-- whose application is still with the check's operator gets the
-- application's present data (that operator may read the application
-- anyway); one whose application went to another operator keeps an empty
-- snapshot, as the operator must not see what the application says now.
UPDATE checks SET
    category = (SELECT a.category FROM applications a WHERE a.id = checks.application_id),
    subscriber_id = (SELECT a.subscriber_id FROM applications a WHERE a.id = checks.application_id),
    holder_name = (SELECT acc.name FROM applications a JOIN accounts acc ON acc.id = a.account_id WHERE a.id = checks.application_id)
WHERE EXISTS (SELECT 1 FROM applications a WHERE a.id = checks.application_id AND a.operator_id = checks.operator_id);

INSERT INTO check_items (check_id, position, kind, value)
SELECT c.id, i.position, i.kind, i.value
FROM checks c JOIN applications a ON a.id = c.application_id JOIN items i ON i.application_id = a.id
WHERE a.operator_id = c.operator_id;
