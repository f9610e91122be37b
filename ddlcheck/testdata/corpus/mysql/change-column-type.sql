-- want: change-column-type
ALTER TABLE users MODIFY status VARCHAR(20);
-- want: change-column-type
ALTER TABLE users MODIFY COLUMN age BIGINT;
-- want: change-column-type
ALTER TABLE users CHANGE status status VARCHAR(20);
-- want: ok
ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20);
