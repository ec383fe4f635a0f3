#!/bin/sh
# The official image's contract, for what the manifests use: on an empty PGDATA, initdb with
# POSTGRES_USER / POSTGRES_PASSWORD, create POSTGRES_DB, and run /docker-entrypoint-initdb.d/*.sh
# (executed if executable, else sourced) and *.sql against a server listening only on its socket;
# then postgres listening on every address. Arguments starting with "-" are postgres options, given
# to the init server too (as the official image does, so an hba_file or ssl settings hold there).
set -eu
if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
shift
user=${POSTGRES_USER:-postgres}
socket=/var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # The init server: the options of the container (no spaces in them: pg_ctl -o splits on blanks),
  # no TCP listener.
  pg_ctl -D "$PGDATA" -o "$* -c listen_addresses='' -c unix_socket_directories=$socket" -w start >/dev/null
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -h "$socket" -U "$user" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  fi
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh)
        echo "docker-entrypoint.sh: running $script"
        if [ -x "$script" ]; then "$script"; else . "$script"; fi
        ;;
      *.sql)
        echo "docker-entrypoint.sh: running $script"
        psql -v ON_ERROR_STOP=1 -h "$socket" -U "$user" -d "${POSTGRES_DB:-$user}" -f "$script" >/dev/null
        ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "docker-entrypoint.sh: initialised $PGDATA for $user"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=$socket "$@"
