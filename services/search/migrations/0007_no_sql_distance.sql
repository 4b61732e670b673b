-- Distances are computed in memory since 0006 (services/search/backends/postgres/facet_columns.py ``_km``; the
-- opensearch backend's ``km_between`` in Python): nothing calls the SQL function any more.
DROP FUNCTION IF EXISTS km_between(float8, float8, float8, float8);
