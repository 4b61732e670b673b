-- Analysts: who may read the reports and the event stream (their tokens stored hashed).
CREATE TABLE analysts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
