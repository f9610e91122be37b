-- Expand: the new column for the status migration, and an unrelated one.
ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20) DEFAULT 'active';
ALTER TABLE users ADD COLUMN email VARCHAR(255);
