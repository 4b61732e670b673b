-- A person's link token is random (it was an HMAC of the intake's id under a key that, leaked,
-- gave every link). Intake keeps the token itself only until the confirmation mail has had its
-- time to go out (mail_token, cleared by the hourly purge and at erasure), and a keyed hash of the
-- request's body, so that the same Idempotency-Key with another body is refused instead of
-- answering another person's token. Links mailed before still work: token_hash is of the token
-- the person holds, however it was made.
ALTER TABLE intakes ADD COLUMN mail_token text, ADD COLUMN body_hash text;
