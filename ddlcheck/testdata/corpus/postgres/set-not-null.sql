SET lock_timeout = '2s';
-- want: set-not-null
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- The safe path: a CHECK added NOT VALID, then validated.
-- want: ok
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;
-- want: ok
ALTER TABLE users VALIDATE CONSTRAINT email_nn;
-- want: ok
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
