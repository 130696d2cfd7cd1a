#!/bin/sh
# Run once by the postgres image on an empty data directory
# (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
#
# Creates one role and database for the application and one role owning the
# two databases Temporal needs. The Temporal databases are created here, not
# by temporalio/auto-setup: auto-setup skips CREATE DATABASE when the database
# is named like its user (temporal/temporal), so it runs with SKIP_DB_CREATE.
set -eu

: "${ESENZIONI_DB_PASSWORD:?ESENZIONI_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v app_password="$ESENZIONI_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE esenzioni LOGIN PASSWORD :'app_password';
CREATE DATABASE esenzioni OWNER esenzioni;

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

-- Temporal's SQL visibility schema needs btree_gin. It is a trusted extension
-- (the database owner could create it), but creating it as superuser here
-- removes any doubt.
\connect temporal_visibility
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
