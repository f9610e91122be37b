-- The seed document's statements, judged as issue 16 says.
-- want: change-column-type
ALTER TABLE users MODIFY status VARCHAR(20);
-- want: ok
ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20) DEFAULT 'active';
-- want: ok
ALTER TABLE users ADD COLUMN email VARCHAR(255);
-- want: drop-column
ALTER TABLE users DROP COLUMN phone;
