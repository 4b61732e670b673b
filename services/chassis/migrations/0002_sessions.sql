-- Page sign-in sessions of the credentials a service issues (providers' keys in the catalogue,
-- advisors' tokens in intake, analysts' in analytics; the admin's in the catalogue): the browser
-- holds a random session id, never the credential. Only keyed hashes are stored; signing out
-- deletes the row; revoking the credential ends its sessions (the lookup goes through it).
CREATE TABLE IF NOT EXISTS sessions (
    id_hash          text        PRIMARY KEY,
    credential_hash  text        NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
