-- The seed document's statements in PostgreSQL syntax.
SET lock_timeout = '2s';
-- want: change-column-type
ALTER TABLE users ALTER COLUMN status TYPE varchar(20);
-- want: ok
ALTER TABLE users ADD COLUMN status_v2 varchar(20) DEFAULT 'active';
-- want: ok
ALTER TABLE users ADD COLUMN email varchar(255);
-- want: drop-column
ALTER TABLE users DROP COLUMN phone;
