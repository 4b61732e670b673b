-- A number that grows with every committed change of the read model (documents, facts,
-- funding schemes): the sum of these counters. The search service keeps answers in memory
-- under the generation they were computed at, and serves one only while the generation is the
-- same (services/search/answers.py). A writer raises the counter of its connection's slot, so
-- concurrent writers seldom wait for each other's commit.
CREATE TABLE read_model (
    slot        integer PRIMARY KEY CHECK (slot BETWEEN 0 AND 15),
    generation  bigint NOT NULL
);
INSERT INTO read_model (slot, generation) SELECT s, 0 FROM generate_series(0, 15) s;
