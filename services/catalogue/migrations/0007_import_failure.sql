-- Why an import failed, for the provider who polls it: its upload broke off, the catalogue did
-- not answer the gateway, or no word came from the gateway reading it (abandoned).
ALTER TABLE imports ADD COLUMN failure text;
