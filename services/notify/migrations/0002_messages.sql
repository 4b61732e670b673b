-- Messages (mail, SMS, webhooks) with their delivery state, providers' webhooks and lead
-- addresses, and saved searches. A message keeps its recipient's address only until it is
-- final (then a keyed hash) and its bodies 7 days; the row and its status stay for the counts.

ALTER TABLE providers ADD COLUMN lead_email text;     -- a provider's work address for "new lead" mail

CREATE TABLE webhooks (
    provider_id      uuid PRIMARY KEY,
    url              text NOT NULL,
    secret           text NOT NULL,                   -- whsec_...: needed to sign, never shown again
    previous_secret  text,                            -- during a rotation, also signed with until:
    previous_until   timestamptz,
    disabled_at      timestamptz,                     -- the receiver answered 410 Gone
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id               uuid PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,            -- (event, recipient, template, version)
    template         text NOT NULL,
    template_version integer NOT NULL,
    channel          text NOT NULL,                   -- email | sms | webhook; person: decided at send time
    audience         text NOT NULL,                   -- person | team | provider | subscriber
    recipient_ref    text NOT NULL,                   -- intake:<id> | team:<code> | provider:<id> | subscription:<id>
    intake_id        uuid,
    provider_id      uuid,
    subscription_id  uuid,
    data             jsonb NOT NULL DEFAULT '{}',     -- the facts the template needs: never personal data
    status           text NOT NULL DEFAULT 'created',
    final            boolean NOT NULL DEFAULT false,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,                     -- while sending: another process may take it after
    recipient        text,                            -- the address, until final
    recipient_hash   text,                            -- a keyed hash of it (limits, support)
    subject          text,                            -- bodies: dropped after 7 days
    body_text        text,
    body_html        text,
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE NOT final;
CREATE INDEX messages_of_intake ON messages (intake_id) WHERE intake_id IS NOT NULL;
CREATE INDEX messages_of_provider ON messages (provider_id, created_at) WHERE provider_id IS NOT NULL;
CREATE INDEX messages_to ON messages (recipient_hash, finished_at) WHERE status = 'delivered';
CREATE INDEX messages_log ON messages (created_at);
CREATE INDEX messages_with_bodies ON messages (finished_at) WHERE body_text IS NOT NULL AND final;

CREATE TABLE subscriptions (
    id                uuid PRIMARY KEY,
    email             text,                           -- NULL once ended
    query             jsonb NOT NULL,                 -- the parameters of GET /api/v1/search
    frequency         text NOT NULL,                  -- immediate | daily | weekly
    language          text NOT NULL,
    confirm_hash      text NOT NULL UNIQUE,
    unsubscribe_hash  text NOT NULL UNIQUE,
    status            text NOT NULL DEFAULT 'pending', -- pending | active | ended
    ended_reason      text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    ended_at          timestamptz,
    checked_until     timestamptz,                    -- courses published before this were looked at
    next_alert_at     timestamptz
);
CREATE INDEX subscriptions_due ON subscriptions (next_alert_at) WHERE status = 'active';

-- courses as they were first published (catalogue events), the candidates of the alerts
CREATE TABLE new_courses (
    course_id     uuid PRIMARY KEY,
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX new_courses_at ON new_courses (published_at);

CREATE TABLE alerted (
    subscription_id  uuid NOT NULL REFERENCES subscriptions (id),
    course_id        uuid NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, course_id)
);
