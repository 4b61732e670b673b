-- The start date an alert told a subscriber of each course it listed (and the course's version
-- then), so that a later change of the course's first start sends "start date moved".
ALTER TABLE alerted ADD COLUMN start_told date;
ALTER TABLE alerted ADD COLUMN version_told integer NOT NULL DEFAULT 0;
CREATE INDEX alerted_course ON alerted (course_id);
