#!/bin/bash
# PostgreSQL image init hook: one database per service (POSTGRES_MULTIPLE_DATABASES).
set -euo pipefail
for db in ${POSTGRES_MULTIPLE_DATABASES//,/ }; do
  psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE DATABASE \"$db\""
done
