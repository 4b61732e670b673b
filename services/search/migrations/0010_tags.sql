-- The course facets kept as tags (contracts/filters.py: language, and any facet declared since),
-- by filter name: {"language": ["nl", "pl"]}. A new facet needs no column of its own. Filled by
-- the rebuild that the new ANALYSIS_VERSION starts (it names the facets kept as tags).
ALTER TABLE facts ADD COLUMN tags jsonb NOT NULL DEFAULT '{}';
