-- Advisor teams (Leerwerkloketten), advisors, intake requests with their history and the log of
-- every read of personal data. Personal data lives only in intakes (name, email, phone,
-- postcode, message) and in history notes; erasure sets those to NULL and keeps the facts.

ALTER TABLE courses ADD COLUMN postcode text, ADD COLUMN province text;   -- the next offering's place

CREATE TABLE teams (
    code                     text PRIMARY KEY,
    name                     text NOT NULL,
    provinces                text[] NOT NULL DEFAULT '{}',
    postcode_ranges          jsonb NOT NULL DEFAULT '[]',      -- [[1000, 1099], ...]
    email                    text,
    working_hours            numeric NOT NULL DEFAULT 16,
    opens                    time NOT NULL DEFAULT '09:00',
    closes                   time NOT NULL DEFAULT '17:00',
    weekdays                 integer[] NOT NULL DEFAULT '{0,1,2,3,4}',
    closed_on_public_holidays boolean NOT NULL DEFAULT true,
    closed_on_good_friday    boolean NOT NULL DEFAULT false,
    closed_on_liberation_day boolean NOT NULL DEFAULT false,
    closing_days             date[] NOT NULL DEFAULT '{}',
    created_at               timestamptz NOT NULL DEFAULT now()
);
INSERT INTO teams (code, name) VALUES ('landelijk', 'Landelijk Leerwerkloket');

CREATE TABLE advisors (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    team        text NOT NULL REFERENCES teams (code),
    token_hash  text NOT NULL UNIQUE,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intakes (
    id                  uuid PRIMARY KEY,
    status              text NOT NULL DEFAULT 'new',
    team                text NOT NULL REFERENCES teams (code),
    routed_by           text NOT NULL,
    situation           text NOT NULL,
    course_id           uuid,
    provider_id         uuid,
    search_id           text,
    preferred_contact   text NOT NULL,
    language            text NOT NULL,
    share_with_provider boolean NOT NULL,
    consent             jsonb NOT NULL,          -- what was consented to, when, which text version
    token_hash          text NOT NULL UNIQUE,
    -- personal data: NULL once erased
    name                text,
    email               text,
    phone               text,
    postcode            text,
    message             text,
    received_at         timestamptz NOT NULL,
    callback_due_by     timestamptz NOT NULL,
    due_soon_at         timestamptz NOT NULL,
    due_soon_sent       boolean NOT NULL DEFAULT false,
    overdue_sent        boolean NOT NULL DEFAULT false,
    paused_until        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    erased_at           timestamptz
);
CREATE INDEX intakes_by_team ON intakes (team, callback_due_by);
CREATE INDEX intakes_by_provider ON intakes (provider_id, received_at) WHERE provider_id IS NOT NULL;
-- what the deadline timer looks at: open requests whose warning has not gone out
CREATE INDEX intakes_due_soon ON intakes (due_soon_at) WHERE NOT due_soon_sent AND status IN ('new', 'in_progress');
CREATE INDEX intakes_overdue ON intakes (callback_due_by) WHERE NOT overdue_sent AND status IN ('new', 'in_progress');
CREATE INDEX intakes_finished ON intakes (updated_at) WHERE erased_at IS NULL AND status IN ('enrolled', 'closed');

CREATE TABLE intake_history (
    id         bigserial PRIMARY KEY,
    intake_id  uuid NOT NULL REFERENCES intakes (id),
    type       text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,                 -- person | advisor:<id> | admin | system
    note       text                           -- an advisor's note: never shown to the person
);
CREATE INDEX intake_history_of ON intake_history (intake_id, id);

CREATE TABLE access_log (
    id         bigserial PRIMARY KEY,
    intake_id  uuid NOT NULL REFERENCES intakes (id),
    who        text NOT NULL,
    role       text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    what       text NOT NULL
);
CREATE INDEX access_log_of ON access_log (intake_id, id);

-- recent submissions per client address and per contact, as keyed hashes (spam limits)
CREATE TABLE submissions (
    key_hash   text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_by_key ON submissions (key_hash, at);
