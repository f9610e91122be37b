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
-- want: ok
CREATE INDEX idx_name ON users (name);
-- want: ok
CREATE INDEX idx_name ON users (name) ALGORITHM=INPLACE LOCK=NONE;
