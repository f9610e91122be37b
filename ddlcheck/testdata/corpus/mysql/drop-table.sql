-- want: drop-table
DROP TABLE users;
-- want: drop-table,drop-table
DROP TABLE IF EXISTS a, b;
-- want: ok
DROP TEMPORARY TABLE scratch;
-- want: ok
DROP VIEW user_names;
-- want: ok
CREATE TABLE profiles (id BIGINT PRIMARY KEY, bio TEXT);
