-- graykit:allow drop-column: phone was write-only and is verified unused (OPS-12)
-- want: drop-column(allowed)
ALTER TABLE users DROP COLUMN phone;
-- A reason is mandatory: the comment itself is a finding and suppresses nothing.
-- graykit:allow drop-column
-- want-above: invalid-suppression
-- want: drop-column
ALTER TABLE users DROP COLUMN fax;
-- A suppression names the rule it allows; others still fire.
-- graykit:allow drop-column: legacy
-- want: rename-column
ALTER TABLE users RENAME COLUMN a TO b;
