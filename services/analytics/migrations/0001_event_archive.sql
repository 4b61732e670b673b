-- Every event the platform emits, kept as received (payloads carry no personal data).
CREATE TABLE event_archive (
    event_id       uuid PRIMARY KEY,
    source         text NOT NULL,
    event_type     text NOT NULL,
    schema_version integer NOT NULL,
    occurred_at    timestamptz NOT NULL,
    payload        jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_archive_type_time ON event_archive (event_type, occurred_at);
