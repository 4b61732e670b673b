-- The search service keeps filters, facets and sorting in memory (services/search/backends/postgres/facet_columns.py) and
-- reads only the courses changed since it last looked: each course is stamped with the
-- generation of its last change. For that the generation becomes one counter instead of 16
-- slots: a writer holds its row from the raise to its commit, so generations follow the order
-- of the commits (a reader that sees generation g has seen every change stamped g or lower).
UPDATE read_model SET generation = (SELECT sum(generation) FROM read_model) WHERE slot = 0;
DELETE FROM read_model WHERE slot <> 0;
ALTER TABLE facts ADD COLUMN changed bigint NOT NULL DEFAULT 0;
CREATE INDEX facts_changed ON facts (changed);
-- Which store this is: a store lost and made anew starts its generations again, and whoever
-- followed the old one must read the new one whole.
ALTER TABLE read_model ADD COLUMN store uuid NOT NULL DEFAULT gen_random_uuid();
-- Offerings are filtered in memory now: these indexes only cost writes.
DROP INDEX offerings_start;
DROP INDEX offerings_place;
