SET lock_timeout = '2s';
-- graykit:allow drop-column: phone was write-only and is verified unused (OPS-12)
-- want: drop-column(allowed)
ALTER TABLE users DROP COLUMN phone;
-- graykit:allow no-such-rule: typo
-- want-above: invalid-suppression
-- want: drop-column
ALTER TABLE users DROP COLUMN fax;
