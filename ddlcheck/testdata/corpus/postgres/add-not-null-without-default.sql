SET lock_timeout = '2s';
-- want: add-not-null-without-default
ALTER TABLE users ADD COLUMN tier int NOT NULL;
-- want: ok
ALTER TABLE users ADD COLUMN tier int NOT NULL DEFAULT 0;
-- want: ok
ALTER TABLE users ADD COLUMN tier int;
-- want: ok
ALTER TABLE users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
