-- People who sign in as themselves (OpenID Connect) for an organisation a service keeps: a
-- provider (catalogue), an advisor team (intake), the analysts (analytics). A beheerder invites a
-- person by e-mail address; their first sign-in with that address, verified by the identity
-- provider, binds the membership to the provider's subject, which is what later sign-ins match.
-- A removed member keeps their row (the log names them) and loses every session at once: a
-- member's session is looked up through the membership (chassis/sessions.py).
CREATE TABLE IF NOT EXISTS members (
    id                 uuid        PRIMARY KEY,
    organisation       text        NOT NULL,
    email              text        NOT NULL,          -- as invited, lower case
    name               text,                          -- as the identity provider last gave it
    role               text        NOT NULL CHECK (role IN ('beheerder', 'medewerker')),
    issuer             text,
    subject            text,
    invited_by         text        NOT NULL,
    invited_at         timestamptz NOT NULL DEFAULT now(),
    last_signed_in_at  timestamptz,
    removed_by         text,
    removed_at         timestamptz
);
-- one membership a person at a time per service: a sign-in knows which organisation it is for
CREATE UNIQUE INDEX IF NOT EXISTS members_email ON members (email) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS members_subject ON members (issuer, subject) WHERE removed_at IS NULL;

-- every change of a membership, and every sign-in, with the person who did it
CREATE TABLE IF NOT EXISTS member_log (
    id            bigserial   PRIMARY KEY,
    organisation  text        NOT NULL,
    member_id     uuid        NOT NULL,
    who           text        NOT NULL,
    what          text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS member_log_organisation ON member_log (organisation, id);
