SET lock_timeout = '2s';
-- want: change-foreign-key
ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
-- want: change-foreign-key,pg-constraint-without-not-valid
ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);
-- want: ok
CREATE TABLE lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));
