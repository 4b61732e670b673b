-- A funding scheme can be changed by its publisher (ended early, corrected): PUT with If-Match.
ALTER TABLE funding_schemes ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE funding_schemes ADD COLUMN updated_at timestamptz;
