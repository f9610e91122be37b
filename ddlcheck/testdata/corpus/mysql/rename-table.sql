-- want: rename-table
RENAME TABLE users TO accounts;
-- want: rename-table
ALTER TABLE users RENAME TO accounts;
-- want: ok
CREATE TABLE accounts (id BIGINT PRIMARY KEY);
