-- Searching 20,000 courses in milliseconds (issue 4 benchmark):
-- * `facts`: the narrow per-course columns that filters, facets and sorting scan, apart from
--   the wide `documents` (text, offerings json, tsvector) that only matches and hits touch;
-- * `offerings` as rows, so a filter on one and the same offering uses indexes instead of
--   unpacking json per course;
-- * `title_tsv` for the all-words-in-the-title bonus.
CREATE TABLE facts (
    course_id   uuid PRIMARY KEY REFERENCES documents ON DELETE CASCADE,
    published   boolean NOT NULL,
    title       text NOT NULL,             -- tie-breaker of every sort order
    level       text NOT NULL,
    sectors     text[] NOT NULL,
    situations  text[] NOT NULL,
    funding     text[] NOT NULL,
    last_start  date,                      -- found while this is today or later
    -- from the offerings still ahead (refreshed when one starts: SearchStore.refresh_started)
    next_start  date,
    min_price   numeric(11, 2),
    -- facet values as bit sets (bit i = the i-th value of the contract's list, store.UNIVERSES):
    -- facet counts and filters are integer operations instead of array scans; modes and
    -- provinces are those of the offerings still ahead
    level_bits      integer NOT NULL DEFAULT 0,
    sector_bits     integer NOT NULL DEFAULT 0,
    situation_bits  integer NOT NULL DEFAULT 0,
    mode_bits       integer NOT NULL DEFAULT 0,
    province_bits   integer NOT NULL DEFAULT 0
);
-- until the start-up rebuild (ANALYSIS_VERSION 3) fills in the rest, what is known stays findable
INSERT INTO facts (course_id, published, title, level, sectors, situations, funding, last_start)
    SELECT course_id, published, title, level, sectors, situations, funding, last_start FROM documents;
CREATE INDEX facts_next_start ON facts (next_start) WHERE published;

-- The bit set of `vals` within `universe` (bit i set when universe[i + 1] is among vals).
CREATE FUNCTION bits(vals text[], universe text[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(bit_or(1 << (array_position(universe, v) - 1)), 0)::integer
    FROM unnest(vals) v WHERE array_position(universe, v) IS NOT NULL
$$;

CREATE TABLE offerings (
    course_id    uuid NOT NULL REFERENCES documents ON DELETE CASCADE,
    external_id  text NOT NULL,
    start_date   date NOT NULL,
    status       text NOT NULL,
    mode         text NOT NULL,
    province     text,
    lat          float8,
    lon          float8,
    price        numeric(11, 2) NOT NULL,
    PRIMARY KEY (course_id, external_id)
);
CREATE INDEX offerings_start ON offerings (start_date);
CREATE INDEX offerings_place ON offerings (lat, lon) WHERE lat IS NOT NULL;

DROP INDEX documents_findable;
ALTER TABLE documents
    DROP COLUMN published, DROP COLUMN level, DROP COLUMN sectors, DROP COLUMN situations,
    DROP COLUMN funding, DROP COLUMN modes, DROP COLUMN provinces, DROP COLUMN last_start,
    ADD COLUMN title_tsv tsvector NOT NULL DEFAULT ''::tsvector;
