-- Which courses a full-sync import contained, one row each, kept until the import finishes.
-- It replaces courses.last_import_id: that held only the import that touched a course last,
-- so a concurrent import of the same course made the full sync withdraw a course its own
-- file contained. An upsert import writes nothing here, and an unchanged course is no
-- longer rewritten just to say it was seen.
CREATE TABLE import_seen (
    import_id  uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    course_id  uuid NOT NULL,
    PRIMARY KEY (import_id, course_id)
);
ALTER TABLE courses DROP COLUMN last_import_id;
