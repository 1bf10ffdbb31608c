#!/bin/sh
# Roles of least privilege, created once when the postgres container initialises an empty data
# volume (compose mounts this file into /docker-entrypoint-initdb.d). docs/deployment.md,
# "Database roles", has the same SQL for a volume that already exists.
#   asnbot_owner  owns the app database and its schema: only the migrate one-shot connects as it
#   asnbot_app    reads and writes rows, no DDL: bot, actions, scheduler, dispatcher
#   rasa          owns Rasa's tracker database, nothing else
# The superuser (POSTGRES_USER / POSTGRES_PASSWORD) is known to this container only.
# Role names can be changed with ASNBOT_OWNER_ROLE, ASNBOT_APP_ROLE and RASA_DB_ROLE (tests do).
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_db="$POSTGRES_DB" \
  -v rasa_db="${RASA_TRACKER_DB:-rasa}" \
  -v owner="${ASNBOT_OWNER_ROLE:-asnbot_owner}" \
  -v owner_password="$ASNBOT_OWNER_PASSWORD" \
  -v app="${ASNBOT_APP_ROLE:-asnbot_app}" \
  -v app_password="$ASNBOT_APP_PASSWORD" \
  -v rasa="${RASA_DB_ROLE:-rasa}" \
  -v rasa_password="$RASA_DB_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE ROLE :"rasa" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'rasa_password';

-- The app database: the owner migrates it; the app role may only connect and use rows.
ALTER DATABASE :"app_db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"app_db" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Tables and sequences the owner's migrations create (now and later) are open to the app role.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";

-- Rasa's tracker store: its own database, which Rasa finds existing and does not create.
CREATE DATABASE :"rasa_db" OWNER :"rasa";
REVOKE ALL ON DATABASE :"rasa_db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"rasa_db" TO :"rasa";
SQL
