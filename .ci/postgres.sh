#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 (the first free port from 5433) for the
# test suite and prints its admin URL. Needs Debian's postgresql package; runs the server as
# the `postgres` user.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/cairn-pg-XXXXXX)
chown postgres "$dir"
su postgres -c "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
for port in 5433 5434 5435 5436 5437 5438; do
  if su postgres -c "$bin/pg_ctl -D $dir/data -l $dir/log -w -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off' start" >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    exit 0
  fi
done
echo "could not start PostgreSQL on ports 5433-5438; see $dir/log" >&2
exit 1
