-- Dutch full-text search: the built-in dutch stemmer after folding accents (coördinator = coordinator).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TEXT SEARCH CONFIGURATION sa_dutch (COPY = pg_catalog.dutch);
ALTER TEXT SEARCH CONFIGURATION sa_dutch
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, dutch_stem;

CREATE TABLE documents (
    course_id      uuid PRIMARY KEY,
    version        integer NOT NULL,          -- the catalogue version this row reflects
    published      boolean NOT NULL,
    provider_id    uuid NOT NULL,
    provider_name  text NOT NULL,
    title          text NOT NULL,
    description    text NOT NULL,
    keywords       text[] NOT NULL,
    level          text NOT NULL,
    sectors        text[] NOT NULL,
    situations     text[] NOT NULL,
    credential     text NOT NULL,
    funding        text[] NOT NULL,
    offerings      jsonb NOT NULL,            -- the bookable offerings (not closed/cancelled)
    modes          text[] NOT NULL,
    provinces      text[] NOT NULL,
    last_start     date,                      -- found while this is today or later
    tsv            tsvector NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_tsv ON documents USING gin (tsv);
CREATE INDEX documents_findable ON documents (last_start) WHERE published;
CREATE INDEX documents_title_trgm ON documents USING gin (title gin_trgm_ops);
