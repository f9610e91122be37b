-- want: ok
SET lock_timeout = '2s';
-- want: ok
ALTER TABLE users ADD COLUMN note text;
-- want: ok
SET LOCAL lock_timeout TO '1s';
