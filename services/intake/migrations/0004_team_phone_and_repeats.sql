-- A team's phone number, shown on the person's status page; and what finds a request the same
-- person made earlier that day for the same course or situation (answered instead of a second one).
ALTER TABLE teams ADD COLUMN phone text;
CREATE INDEX intakes_recent_by_email ON intakes (email, received_at) WHERE erased_at IS NULL AND email IS NOT NULL;
CREATE INDEX intakes_recent_by_phone ON intakes (phone, received_at) WHERE erased_at IS NULL AND phone IS NOT NULL;
