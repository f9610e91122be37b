-- What MariaDB 10.11 runs in place but not with LOCK=NONE (server_test.go checks it).
-- want: mysql-lock-shared
ALTER TABLE users ADD INDEX idx_email (email), LOCK=SHARED;
-- want: mysql-lock-shared
ALTER TABLE users ADD INDEX idx_email (email), LOCK=EXCLUSIVE;
-- want: mysql-lock-shared
CREATE FULLTEXT INDEX ft_bio ON users (bio);
-- want: mysql-lock-shared
ALTER TABLE users ADD FULLTEXT INDEX ft_bio (bio);
-- want: mysql-lock-shared
CREATE INDEX idx_name ON users (name) LOCK=SHARED;
-- want: mysql-lock-shared
ALTER TABLE users ADD COLUMN seq INT AUTO_INCREMENT UNIQUE;
-- want: ok
CREATE INDEX idx_name ON users (name);
-- want: ok
CREATE INDEX idx_name ON users (name) ALGORITHM=INPLACE LOCK=NONE;
