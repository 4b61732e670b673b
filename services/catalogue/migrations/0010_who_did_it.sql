-- Who did it, down to the person: a provider's member who signed in as themselves is recorded as
-- provider:<id>:member:<member id> (docs/sign-in.md). An import remembers who started it, and a
-- provider's API key who made it and when it was last used (a key is for machines: its holder is
-- whoever has it, so the platform shows where it came from and whether it is still in use).
ALTER TABLE imports ADD COLUMN actor text;
ALTER TABLE providers ADD COLUMN key_made_by text, ADD COLUMN key_made_at timestamptz,
                      ADD COLUMN key_last_used_at timestamptz;
-- the keys made before this: at registration or a rotation, by the admin or the provider
UPDATE providers SET key_made_at = coalesce(key_changed_at, created_at) WHERE api_key_hash IS NOT NULL;
