SET lock_timeout = '2s';
-- want: drop-column
ALTER TABLE users DROP COLUMN phone;
-- want: drop-column,drop-column
ALTER TABLE public.users DROP COLUMN a, DROP COLUMN IF EXISTS b;
-- want: ok
ALTER TABLE users ADD COLUMN phone_e164 text;
