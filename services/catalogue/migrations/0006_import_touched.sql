-- When an import last stored a batch: a running import that has stored nothing for a long
-- time was abandoned (its client or gateway went away mid-file) and is marked failed.
ALTER TABLE imports ADD COLUMN touched_at timestamptz NOT NULL DEFAULT now();
