-- Contract: phone's migration is complete, status's is not.
ALTER TABLE users DROP COLUMN phone;
ALTER TABLE users DROP COLUMN status;
-- graykit:allow drop-table: the table was created by a failed import and never used (OPS-77)
DROP TABLE import_tmp;
