-- Compound parts, typo vocabulary, suggestions and funding schemes (issue 4).
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- `analysis` is the version of the indexing rules a row was built with; a newer one at start
-- rebuilds the read model (ANALYSIS_VERSION in documents.py).
ALTER TABLE documents ADD COLUMN compounds text NOT NULL DEFAULT '',
                      ADD COLUMN analysis text NOT NULL DEFAULT '1';

-- Every word indexed, for typo tolerance (trigram candidates, then Levenshtein distance).
CREATE TABLE terms (
    term     text PRIMARY KEY,
    suggest  boolean NOT NULL DEFAULT false      -- from a title or keyword: may be suggested
);
CREATE INDEX terms_trgm ON terms USING gin (term gin_trgm_ops);

-- Title and keyword words per document, so suggestions rank by how many findable courses use them.
CREATE TABLE document_terms (
    course_id  uuid NOT NULL REFERENCES documents ON DELETE CASCADE,
    term       text NOT NULL,
    PRIMARY KEY (course_id, term)
);
CREATE INDEX document_terms_prefix ON document_terms (term text_pattern_ops);

-- Funding schemes from the catalogue's events: a situation profile names the ones that fit.
CREATE TABLE funding_schemes (
    code                 text PRIMARY KEY,
    name                 text NOT NULL,
    funder               text NOT NULL,
    valid_from           date NOT NULL,
    valid_until          date,
    eligible_situations  text[] NOT NULL,
    eligible_sectors     text[] NOT NULL,
    eligible_levels      text[] NOT NULL
);
