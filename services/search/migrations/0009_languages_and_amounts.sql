-- The languages a course is taught in, a filter and a facet (a VCA course in Polish for people
-- who came here to work), and what a funding scheme pays at most, so a hit can say what may
-- remain to pay. Both are filled by the rebuild that ANALYSIS_VERSION 5 starts.
ALTER TABLE facts ADD COLUMN languages text[] NOT NULL DEFAULT '{}';
ALTER TABLE funding_schemes ADD COLUMN max_amount_eur numeric;
