-- Saved searches were a mail bomb: no limit per address or client, and a pending one never
-- expired. Each subscription now keeps a keyed hash of its normalised address (case, +tag, the
-- dots a provider ignores) and of the client that asked, to count them; pending ones older than
-- seven days are deleted by the hourly purge.
ALTER TABLE subscriptions ADD COLUMN address_key text, ADD COLUMN client_key text;
CREATE INDEX subscriptions_by_address ON subscriptions (address_key, created_at);
CREATE INDEX subscriptions_by_client ON subscriptions (client_key, created_at);
CREATE INDEX subscriptions_pending ON subscriptions (created_at) WHERE status = 'pending';
