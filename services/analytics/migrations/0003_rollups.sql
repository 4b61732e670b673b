-- The archive partitioned by month (it grows for years: a month is dropped, moved or vacuumed
-- on its own), with a sequence the rollups and the event stream follow; the courses as the
-- catalogue announced them (dimensions and open offerings); and the rollups the reports read.

ALTER TABLE event_archive RENAME TO event_archive_unpartitioned;
ALTER INDEX event_archive_type_time RENAME TO event_archive_unpartitioned_type_time;
CREATE TABLE event_archive (
    seq            bigserial,
    event_id       uuid NOT NULL,
    source         text NOT NULL,
    event_type     text NOT NULL,
    schema_version integer NOT NULL,
    occurred_at    timestamptz NOT NULL,
    payload        jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
-- months get their own partition when their first event arrives (store.ensure_months); this
-- one holds nothing unless a month's partition could not be made
CREATE TABLE event_archive_default PARTITION OF event_archive DEFAULT;
CREATE INDEX event_archive_type_time ON event_archive (event_type, occurred_at);
CREATE INDEX event_archive_seq ON event_archive (seq);
CREATE INDEX event_archive_search ON event_archive ((payload->>'search_id')) WHERE payload ? 'search_id';
CREATE INDEX event_archive_intake ON event_archive ((payload->>'intake_id')) WHERE payload ? 'intake_id';
INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload, received_at)
SELECT event_id, source, event_type, schema_version, occurred_at, payload, received_at
FROM event_archive_unpartitioned ORDER BY received_at, event_id;
DROP TABLE event_archive_unpartitioned;

CREATE EXTENSION IF NOT EXISTS unaccent;
-- a query as demand: case, accents and Dutch stems folded (heftrucks, Heftruck: heftruck), stop
-- words out, the words in one order
CREATE FUNCTION normalised_query(q text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(array_to_string(tsvector_to_array(to_tsvector('dutch', unaccent(lower(q)))), ' '), ''),
                    lower(trim(q)))
$$;

-- a course's dimensions and its open offerings, as the catalogue's last event left them
CREATE TABLE courses (
    course_id   uuid PRIMARY KEY,
    version     integer NOT NULL,
    published   boolean NOT NULL,
    sector      text NOT NULL,        -- the first of its sectors
    level       text NOT NULL,
    province    text NOT NULL         -- of its first open offering ahead ('-': none, online)
);
CREATE TABLE offerings (
    course_id   uuid NOT NULL REFERENCES courses (course_id) ON DELETE CASCADE,
    province    text NOT NULL,
    start_date  date NOT NULL
);
CREATE INDEX offerings_of ON offerings (course_id);

-- how far the rollups have read the archive
CREATE TABLE rollup_state (
    name   text PRIMARY KEY,
    until  timestamptz                  -- NULL: never (a replay starts so)
);
INSERT INTO rollup_state VALUES ('rollups', NULL);

-- per day (Europe/Amsterdam) and dimension ('-': not given): what happened
CREATE TABLE demand_daily (
    day          date NOT NULL,
    sector       text NOT NULL,
    level        text NOT NULL,
    province     text NOT NULL,
    situation    text NOT NULL,
    searches     integer NOT NULL DEFAULT 0,
    zero_results integer NOT NULL DEFAULT 0,
    clicks       integer NOT NULL DEFAULT 0,
    views        integer NOT NULL DEFAULT 0,
    intakes      integer NOT NULL DEFAULT 0,
    advice       integer NOT NULL DEFAULT 0,
    enrolments   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sector, level, province, situation)
);

-- searches that found nothing, per day, normalised query (case, accents, Dutch stems) and kind
CREATE TABLE zero_daily (
    day            date NOT NULL,
    query          text NOT NULL,           -- normalised
    kind           text NOT NULL,           -- nothing | elsewhere | filtered_out
    province       text NOT NULL,
    sector         text NOT NULL,
    example        text NOT NULL,           -- one query as typed
    nearest_place  text,
    searches       integer NOT NULL,
    PRIMARY KEY (day, query, kind, province, sector)
);

-- one row per search that led somewhere: the funnel's steps with their moments
CREATE TABLE funnel (
    search_id    text PRIMARY KEY,
    day          date NOT NULL,
    sector       text NOT NULL,
    province     text NOT NULL,
    situation    text NOT NULL,
    searched_at  timestamptz NOT NULL,
    viewed_at    timestamptz,
    intake_id    uuid,
    intake_at    timestamptz,
    advised_at   timestamptz,
    enrolled_at  timestamptz
);
CREATE INDEX funnel_day ON funnel (day);
CREATE INDEX funnel_intake ON funnel (intake_id) WHERE intake_id IS NOT NULL;
