-- Who searched (search_performed.client: a keyed hash that changes daily), per zero-result row of
-- a day, so the report can hide a query fewer than ANALYTICS_MIN_SEARCHERS different people
-- searched: a single search verbatim may name a person. Rows rolled up before have none (hidden
-- until a replay rolls them up again from the archive: older events carry no client, and stay hidden).
ALTER TABLE zero_daily ADD COLUMN clients text[] NOT NULL DEFAULT '{}';
