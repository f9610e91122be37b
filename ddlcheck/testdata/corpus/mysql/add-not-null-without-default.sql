-- want: add-not-null-without-default
ALTER TABLE users ADD COLUMN tier INT NOT NULL;
-- want: ok
ALTER TABLE users ADD COLUMN tier INT NOT NULL DEFAULT 0;
-- want: ok
ALTER TABLE users ADD COLUMN tier INT NULL;
