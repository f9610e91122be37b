SET lock_timeout = '2s';
-- want: pg-index-not-concurrently
CREATE INDEX users_email_idx ON users (email);
-- want: pg-index-not-concurrently
CREATE UNIQUE INDEX users_email_key ON users (email);
-- want: pg-index-not-concurrently
DROP INDEX users_email_idx;
-- want: ok
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- want: ok
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
-- want: ok
CREATE TABLE profiles (id bigint PRIMARY KEY, user_id bigint);
-- An index on a table created in the same migration locks nobody.
-- want: ok
CREATE INDEX profiles_user_idx ON profiles (user_id);
