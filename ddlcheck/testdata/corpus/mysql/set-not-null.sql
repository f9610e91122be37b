-- MySQL sets NOT NULL by restating the column, which is also a type change.
-- want: change-column-type,set-not-null
ALTER TABLE users MODIFY email VARCHAR(255) NOT NULL;
-- want: ok
ALTER TABLE users ADD COLUMN email2 VARCHAR(255) NULL;
