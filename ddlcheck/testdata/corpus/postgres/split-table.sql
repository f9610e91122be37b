SET lock_timeout = '2s';
-- want: split-table
CREATE TABLE profiles AS SELECT id, bio FROM users;
-- want: split-table
INSERT INTO profiles (id, bio) SELECT id, bio FROM users;
-- want: ok
CREATE TABLE profiles2 (id bigint PRIMARY KEY, bio text);
-- want: ok
INSERT INTO settings (k, v) VALUES ('schema', '2');
