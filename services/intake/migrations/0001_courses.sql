-- The courses a person can ask about, as the catalogue last told us (no RPC per intake).
CREATE TABLE courses (
    course_id   uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    title       text NOT NULL,
    published   boolean NOT NULL,
    version     integer NOT NULL
);
