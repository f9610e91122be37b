-- want: drop-column
ALTER TABLE users DROP COLUMN phone;
-- want: drop-column
ALTER TABLE users DROP phone;
-- want: drop-column,drop-column
ALTER TABLE `app`.`users` DROP COLUMN a, DROP COLUMN b;
-- want: ok
ALTER TABLE users ADD COLUMN phone_e164 VARCHAR(32) NULL;
