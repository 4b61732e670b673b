CREATE TABLE providers (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    kind         text NOT NULL,
    website      text,
    kvk_number   text,
    api_key_hash text NOT NULL UNIQUE,  -- sha256 of a 256-bit random key; the key is shown once
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courses (
    id          uuid PRIMARY KEY,
    provider_id uuid NOT NULL REFERENCES providers (id),
    external_id text NOT NULL,
    version     integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
    data        jsonb NOT NULL,          -- the validated CourseInput
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider_id, external_id)
);
CREATE INDEX courses_published ON courses (id) WHERE status = 'published';

CREATE TABLE course_history (
    id         bigserial PRIMARY KEY,
    course_id  uuid NOT NULL REFERENCES courses (id),
    version    integer NOT NULL,
    action     text NOT NULL,
    actor      text NOT NULL,
    changed    text[] NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX course_history_course ON course_history (course_id, version);
