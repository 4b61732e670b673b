-- A provider's OOAPI endpoint, which the catalogue pulls its courses from (a sync is a full-sync
-- import: a course gone from the endpoint is withdrawn). The authorisation header is kept
-- sealed (encrypted with OOAPI_SECRET_KEY) and never shown back.
CREATE TABLE ooapi_endpoints (
    provider_id          uuid PRIMARY KEY REFERENCES providers (id),
    base_url             text NOT NULL,
    authorization_sealed text,
    schedule             text NOT NULL DEFAULT 'nightly' CHECK (schedule IN ('nightly', 'manual')),
    higher_education     text NOT NULL DEFAULT 'hbo' CHECK (higher_education IN ('hbo', 'wo')),
    next_sync_at         timestamptz,            -- the next scheduled sync (none when manual)
    requested_import     uuid,                   -- an on-demand sync asked for, not yet begun
    running_import       uuid,                   -- the sync under way, held by its process's lease
    lease_until          timestamptz,
    last_import          uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ooapi_endpoints_due ON ooapi_endpoints (next_sync_at);
-- What an import rejected, item by item (the first 1,000): a sync runs unattended, so its
-- report is kept for the provider to read, as an upload's is.
ALTER TABLE imports ADD COLUMN rejected_items jsonb NOT NULL DEFAULT '[]';
