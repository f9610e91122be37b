SET lock_timeout = '2s';
-- want: drop-table
DROP TABLE users;
-- want: drop-table,drop-table
DROP TABLE IF EXISTS a, b CASCADE;
-- want: ok
CREATE TABLE scratch (id bigint PRIMARY KEY);
-- A table created in the same migration has no users yet.
-- want: ok
DROP TABLE scratch;
-- want: ok
DROP VIEW user_names;
