SET lock_timeout = '2s';
-- want: rename-table
ALTER TABLE users RENAME TO accounts;
-- want: ok
CREATE TABLE accounts (id bigint PRIMARY KEY);
-- want: ok
ALTER INDEX users_email_idx RENAME TO users_email_key;
