#!/usr/bin/env bash
# Complete registrations/s through `hpr serve` (8 HTTP steps each, embedded sandbox backend) at
# concurrency 64, on SQLite and on Postgres, with p50/p99 per step and the server's RSS.
#
#   scripts/bench-serve.sh [REGISTRATIONS] [CONCURRENCY]     (defaults 3000 and 64)
#
# Builds release binaries, then for each database: starts `hpr serve` on 127.0.0.1 (a fresh
# SQLite file; a throwaway Postgres cluster in a temp folder, on a Unix socket and 127.0.0.1),
# creates a key, runs the `serve_load` example once to warm up and once measured, and reads the
# server's peak and current RSS from /proc. Postgres needs Debian's `postgresql` (initdb);
# without it that row is skipped with a note. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-3000}
concurrency=${2:-64}

cargo build --release -q -p hpr-cli
cargo build --release -q -p hpr-server --example serve_load
hpr=$PWD/target/release/hpr
load=$PWD/target/release/examples/serve_load
work=$(mktemp -d /tmp/hpr-bench-serve.XXXXXX)
chmod 755 "$work"
server_pid=
pg_dir=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pg_dir" ]; then as_pg pg_ctl -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && PATH=$pg_bin:$PATH
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_postgres() {
  command -v initdb >/dev/null || return 1
  pg_dir=$work/pg
  mkdir -p "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
  as_pg initdb -D "$pg_dir" -A trust -U postgres >/dev/null
  pg_port=$(free_port)
  as_pg pg_ctl -D "$pg_dir" -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100" -w start >/dev/null
}

# start_server DATABASE_URL: sets server_pid and server_url
start_server() {
  "$hpr" serve keys create --name bench --database "$1" >"$work/key" 2>/dev/null
  "$hpr" serve --addr 127.0.0.1:0 --database "$1" --sandbox-seed 1 --sandbox-fixed-otp 123456 --sandbox-quiet-sms \
    --rate-limit-per-min 0 --log-format text >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  local line=
  for _ in $(seq 200); do
    line=$(head -n 1 "$work/serve.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    sleep 0.05
  done
  local re='^hpr serve: listening on (http://127\.0\.0\.1:[0-9]+)$'
  [[ $line =~ $re ]] || { echo "hpr serve did not start: $line" >&2; cat "$work/serve.err" >&2; exit 1; }
  server_url=${BASH_REMATCH[1]}
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

rss() { awk -v k="$2:" '$1==k {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }

run() {
  local name=$1 url=$2
  start_server "$url"
  # -v would log every request; RUST_LOG=warn keeps the server's stderr quiet
  "$load" "$server_url" "$(cat "$work/key")" 500 "$concurrency" 0 >/dev/null
  echo "== $name: $total registrations at concurrency $concurrency"
  "$load" "$server_url" "$(cat "$work/key")" "$total" "$concurrency" 1000000
  echo "server RSS: peak $(rss "$server_pid" VmHWM), now $(rss "$server_pid" VmRSS)"
  stop_server
}

export RUST_LOG=warn
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run sqlite "sqlite:$work/hpr.db"
if start_postgres; then
  run postgres "postgres://postgres@127.0.0.1:$pg_port/postgres"
else
  echo "== postgres: skipped (no initdb; install Debian's postgresql)"
fi
