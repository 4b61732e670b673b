-- Providers we may have to notify (lead callbacks, webhooks), as the catalogue announced them.
CREATE TABLE providers (
    provider_id   uuid PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
