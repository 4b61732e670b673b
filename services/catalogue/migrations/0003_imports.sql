-- Bulk imports: progress that a provider can poll, and which import last saw each course
-- (a full-sync import withdraws the provider's published courses it did not see).
CREATE TABLE imports (
    id           uuid PRIMARY KEY,
    provider_id  uuid NOT NULL REFERENCES providers (id),
    format       text NOT NULL,
    mode         text NOT NULL,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
    accepted     integer NOT NULL DEFAULT 0,
    rejected     integer NOT NULL DEFAULT 0,
    withdrawn    integer NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX imports_provider ON imports (provider_id, started_at DESC);
ALTER TABLE courses ADD COLUMN last_import_id uuid;
