-- A number that grows with every committed change of the read model (documents, facts,
-- funding schemes). The search service keeps answers in memory under the generation they were
-- computed at, and serves one only while the generation is still the same (services/search/answers.py).
CREATE TABLE read_model (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation  bigint NOT NULL
);
INSERT INTO read_model (generation) VALUES (1);
