SET lock_timeout = '2s';
-- want: drop-default
ALTER TABLE users ALTER COLUMN status DROP DEFAULT;
-- want: ok
ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';
