SET lock_timeout = '2s';
-- want: change-column-type
ALTER TABLE users ALTER COLUMN status TYPE varchar(20);
-- want: change-column-type
ALTER TABLE users ALTER status SET DATA TYPE bigint USING status::bigint;
-- want: ok
ALTER TABLE users ADD COLUMN status_v2 varchar(20);
