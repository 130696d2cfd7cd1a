#!/bin/sh
# Run once by the postgres image on an empty data directory
# (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
#
# Creates the application's database with two roles (least privilege):
# esenzioni owns the database and its schema and runs the migrations;
# esenzioni_app, what web and worker log in as, owns nothing, belongs to no
# role and gets its table grants from the first migration (no UPDATE, DELETE
# or TRUNCATE on the audit log). Then one role owning the two databases
# Temporal needs. The Temporal databases are created here, not
# by temporalio/auto-setup: auto-setup skips CREATE DATABASE when the database
# is named like its user (temporal/temporal), so it runs with SKIP_DB_CREATE.
set -eu

: "${ESENZIONI_DB_PASSWORD:?ESENZIONI_DB_PASSWORD must be set}"
: "${ESENZIONI_APP_DB_PASSWORD:?ESENZIONI_APP_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v owner_password="$ESENZIONI_DB_PASSWORD" \
  -v app_password="$ESENZIONI_APP_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE esenzioni LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE esenzioni_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
-- The first migration grants esenzioni_app to the migrating role.
GRANT esenzioni_app TO esenzioni WITH ADMIN OPTION;
CREATE DATABASE esenzioni OWNER esenzioni;
REVOKE ALL ON DATABASE esenzioni FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE esenzioni TO esenzioni_app;
\connect esenzioni
ALTER SCHEMA public OWNER TO esenzioni;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO esenzioni_app;
ALTER DEFAULT PRIVILEGES FOR ROLE esenzioni IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO esenzioni_app;
ALTER DEFAULT PRIVILEGES FOR ROLE esenzioni IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO esenzioni_app;
\connect postgres

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

-- Temporal's SQL visibility schema needs btree_gin. It is a trusted extension
-- (the database owner could create it), but creating it as superuser here
-- removes any doubt.
\connect temporal_visibility
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
