-- want: rename-column
ALTER TABLE users RENAME COLUMN name TO full_name;
-- want: rename-column
ALTER TABLE users CHANGE name full_name VARCHAR(100);
-- want: ok
ALTER TABLE users ADD COLUMN full_name VARCHAR(100);
