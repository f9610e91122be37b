-- want: mysql-algorithm-copy
ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;
-- want: mysql-algorithm-copy
ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;
-- want: mysql-algorithm-copy
ALTER TABLE users ADD PRIMARY KEY (id);
-- want: mysql-algorithm-copy
ALTER TABLE users DROP PRIMARY KEY;
-- want: mysql-algorithm-copy
ALTER TABLE users ENGINE = InnoDB;
-- want: mysql-algorithm-copy
ALTER TABLE users ADD COLUMN seq INT AUTO_INCREMENT UNIQUE;
-- want: mysql-algorithm-copy
ALTER TABLE users ADD COLUMN total INT AS (a + b) STORED;
-- want: ok
ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;
-- want: ok
ALTER TABLE users ADD INDEX idx_email (email), ALGORITHM=INPLACE, LOCK=NONE;
-- want: ok
ALTER TABLE users ADD COLUMN total_v INT AS (a + b) VIRTUAL;
