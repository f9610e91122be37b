-- want: change-foreign-key,mysql-algorithm-copy
ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);
-- want: change-foreign-key
ALTER TABLE orders DROP FOREIGN KEY fk_user;
-- want: ok
ALTER TABLE orders ADD INDEX idx_user (user_id);
