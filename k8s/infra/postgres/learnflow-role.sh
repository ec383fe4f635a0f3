#!/bin/sh
# The Dapr state store's own role: `learnflow`, LOGIN, not a superuser, may not create roles or
# databases, owner of the database `learnflow` (where daprd creates its tables `state` and
# `dapr_metadata` on first start: the owner of a PostgreSQL 15 database may create in its schema
# `public`), with the password of the Secret postgres-credentials (LEARNFLOW_PASSWORD). The superuser
# `postgres` only logs in inside the pod (pg_hba.conf).
# Idempotent. Run by the image on an empty volume (/docker-entrypoint-initdb.d) and by `make deploy`
# on every deploy (kubectl exec), which also brings a volume initialised before this role existed -
# `learnflow` then was the superuser and `postgres` did not exist - into line, and puts the role's
# password back to the Secret's. The password goes from the environment to psql (\getenv), never on a
# command line.
set -eu
: "${LEARNFLOW_PASSWORD:?LEARNFLOW_PASSWORD must be set}"
sql() { psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql "$@"; }
if ! sql -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
  echo "learnflow-role.sh: no superuser postgres yet (a volume of before): creating it as learnflow"
  sql -U learnflow -d learnflow -c 'CREATE ROLE postgres WITH SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS LOGIN'
fi
sql -U postgres -d postgres <<'SQL'
\getenv password LEARNFLOW_PASSWORD
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'learnflow') AS create_role \gset
\if :create_role
CREATE ROLE learnflow;
\endif
ALTER ROLE learnflow WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'password';
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = 'learnflow') AS create_database \gset
\if :create_database
CREATE DATABASE learnflow OWNER learnflow;
\endif
ALTER DATABASE learnflow OWNER TO learnflow;
REVOKE ALL ON DATABASE learnflow FROM PUBLIC;
SQL
echo "learnflow-role.sh: role learnflow (no superuser, no CREATEDB, no CREATEROLE) owns database learnflow"
