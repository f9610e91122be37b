-- No SET lock_timeout before the first statement that locks an existing table.
-- want: ok
CREATE TABLE audit (id bigint PRIMARY KEY);
-- want: ok
CREATE INDEX audit_id ON audit (id);
-- want: pg-missing-lock-timeout
ALTER TABLE users ADD COLUMN note text;
-- Reported once per file.
-- want: ok
ALTER TABLE users ADD COLUMN note2 text;
