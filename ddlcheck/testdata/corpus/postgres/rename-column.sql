SET lock_timeout = '2s';
-- want: rename-column
ALTER TABLE users RENAME COLUMN name TO full_name;
-- want: rename-column
ALTER TABLE users RENAME name TO full_name;
-- want: ok
ALTER TABLE users ADD COLUMN full_name text;
