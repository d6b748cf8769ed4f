#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (shared mode on several proxy instances):
#
#   eval "$(bash scripts/postgres.sh start DIR)"   # prints `export W0_TEST_POSTGRES_URL=…`
#   bash scripts/postgres.sh restart DIR                  # as a database restart in production
#   bash scripts/postgres.sh stop DIR
#
# PostgreSQL refuses to run as root, and CI runs as root: the cluster belongs to the `postgres`
# system user (Debian's package creates it), lives in DIR, listens on a free loopback port and a
# socket in DIR only, trusts local connections (nothing but this machine can reach it), and is
# gone with DIR. Installed by scripts/setup.sh.
set -euo pipefail
cmd=${1:?start, restart or stop}
dir=${2:?a directory for the cluster}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U w0 --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a test cluster that dies loses nothing anybody keeps.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export W0_TEST_POSTGRES_URL=postgres://w0@127.0.0.1:$port/postgres"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "postgres.sh: start, restart or stop" >&2; exit 2 ;;
esac
