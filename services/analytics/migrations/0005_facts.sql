-- The facts: what each event means for the reports (services/analytics/facts.py), a row per
-- fact, written in the same batch as the archive; every rollup groups them. The demand per day
-- becomes narrow too (a count per fact), so a new count needs no column of its own.
-- An archive from before has no facts yet: the next roll-up derives them from the whole archive
-- (facts_state.derived_at NULL) and then recomputes every rollup (rollup_state NULL).
CREATE TABLE facts (
    event_id     uuid NOT NULL,
    fact         text NOT NULL,             -- search, zero_result, click, view, intake, advice, ...
    day          date NOT NULL,             -- Europe/Amsterdam, of when it happened
    at           timestamptz NOT NULL,      -- when it happened
    received_at  timestamptz NOT NULL DEFAULT now(),
    course_id    uuid,
    search_id    text,
    intake_id    uuid,
    sector       text,                      -- NULL: the course's
    level        text,
    province     text,
    situation    text NOT NULL DEFAULT '-',
    query        text,                      -- a search that found nothing: its words, why, where else
    kind         text,
    place        text,
    client       text,                      -- who searched: a keyed hash that changes daily
    PRIMARY KEY (event_id, fact)
);
CREATE INDEX facts_day ON facts (day, fact);
CREATE INDEX facts_received ON facts (received_at);
CREATE INDEX facts_search ON facts (search_id) WHERE search_id IS NOT NULL;
CREATE INDEX facts_intake ON facts (intake_id) WHERE intake_id IS NOT NULL;

DROP TABLE demand_daily;
CREATE TABLE demand_daily (
    day        date NOT NULL,
    sector     text NOT NULL,
    level      text NOT NULL,
    province   text NOT NULL,
    situation  text NOT NULL,
    fact       text NOT NULL,
    n          integer NOT NULL,
    PRIMARY KEY (day, sector, level, province, situation, fact)
);

TRUNCATE zero_daily, funnel;
UPDATE rollup_state SET until = NULL WHERE name = 'rollups';
CREATE TABLE facts_state (derived_at timestamptz);     -- NULL: the archive's facts are still to be derived
INSERT INTO facts_state VALUES (NULL);
