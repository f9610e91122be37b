SET lock_timeout = '2s';
-- want: pg-constraint-without-not-valid
ALTER TABLE users ADD CONSTRAINT age_pos CHECK (age > 0);
-- want: change-foreign-key,pg-constraint-without-not-valid
ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);
-- want: ok
ALTER TABLE users ADD CONSTRAINT age_pos CHECK (age > 0) NOT VALID;
-- want: ok
ALTER TABLE users VALIDATE CONSTRAINT age_pos;
