-- Funding schemes change (funding_scheme_updated): an older event arriving late is ignored.
ALTER TABLE funding_schemes ADD COLUMN version integer NOT NULL DEFAULT 1;
