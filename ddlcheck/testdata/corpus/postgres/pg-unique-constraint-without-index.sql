SET lock_timeout = '2s';
-- want: pg-unique-constraint-without-index
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
-- want: pg-unique-constraint-without-index
ALTER TABLE users ADD PRIMARY KEY (id);
-- want: ok
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
-- want: ok
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;
