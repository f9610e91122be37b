-- What MariaDB 10.11 refuses to run with ALGORITHM=INPLACE (server_test.go checks it).
-- want: mysql-algorithm-copy
ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;
-- want: mysql-algorithm-copy
ALTER TABLE users CONVERT TO CHARACTER SET latin1;
-- want: mysql-algorithm-copy
ALTER TABLE users DROP PRIMARY KEY;
-- want: mysql-algorithm-copy
ALTER TABLE users ENGINE = MyISAM;
-- want: mysql-algorithm-copy
ALTER TABLE users ADD COLUMN total INT AS (a + b) STORED;
-- want: mysql-algorithm-copy
ALTER TABLE users ORDER BY name;
-- want: ok
ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;
-- want: ok
ALTER TABLE users ADD INDEX idx_email (email), ALGORITHM=INPLACE, LOCK=NONE;
-- want: ok
ALTER TABLE users ADD COLUMN total_v INT AS (a + b) VIRTUAL;
-- An in-place rebuild: expensive, but writes go on.
-- want: ok
ALTER TABLE users ENGINE = InnoDB;
-- want: ok
ALTER TABLE users DROP PRIMARY KEY, ADD PRIMARY KEY (id, a);
