-- How many batches of an import are stored: the gateway sends the next batch before the
-- previous one is answered, and the catalogue stores them strictly in order (a course that
-- appears twice in a file ends as its later line says).
ALTER TABLE imports ADD COLUMN batches integer NOT NULL DEFAULT 0;
