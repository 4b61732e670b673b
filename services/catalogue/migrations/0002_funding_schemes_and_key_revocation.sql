-- A provider's key can be revoked (no key until an admin issues a new one).
ALTER TABLE providers ALTER COLUMN api_key_hash DROP NOT NULL;
ALTER TABLE providers ADD COLUMN key_changed_at timestamptz;

CREATE TABLE funding_schemes (
    code                text PRIMARY KEY,
    data                jsonb NOT NULL,          -- the validated FundingSchemeInput
    valid_from          date NOT NULL,
    valid_until         date,
    published_by        text NOT NULL,           -- 'admin' or 'provider:<id>'
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX funding_schemes_validity ON funding_schemes (valid_from, valid_until);
