#!/usr/bin/env bash
# Complete registrations/s through `hpr serve` (8 HTTP steps each, embedded sandbox backend) at
# concurrency 64, on SQLite and on Postgres, with p50/p99 per step and the server's RSS.
#
#   scripts/bench-serve.sh [REGISTRATIONS] [CONCURRENCY]     (defaults 3000 and 64)
#
# Builds release binaries, starts `hpr serve` on 127.0.0.1 twice (a fresh SQLite file; a
# throwaway Postgres cluster in a temp folder, fsync on), creates a key for each, warms both up,
# then runs the `serve_load` example in 3 rounds per database, the order rotated each round, and
# prints the median (min–max) of registrations/s and of the p50/p99 per step, with each server's
# peak RSS from /proc. Postgres needs Debian's `postgresql` (initdb); without it that row is
# skipped with a note. Not part of CI.
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
pids=()
pg_dir=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done || true
  if [ -n "$pg_dir" ]; then as_pg pg_ctl -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && PATH=$pg_bin:$PATH
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

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

rss() { awk -v k="$2:" '$1==k {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }

# one measured round of NAME (registrations numbered from FIRST); its output is kept
round() {
  local name=$1 first=$2 r=$3 url_var="serve_url_$1"
  "$load" "${!url_var}" "$(cat "$work/key.$name")" "$total" "$concurrency" "$first" >"$work/round.$name.$r"
}

# median (min–max) of the numbers on stdin
summary() { sort -g | awk '{v[NR]=$1} END {printf "%s (%s–%s)", v[int((NR+1)/2)], v[1], v[NR]}'; }

export RUST_LOG=warn
pids=()
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
names=(sqlite)
start_serve "$hpr" "$work" sqlite "sqlite:$work/hpr.db"
if start_postgres; then
  start_serve "$hpr" "$work" postgres "postgres://postgres@127.0.0.1:$pg_port/postgres"
  names+=(postgres)
else
  echo "postgres: skipped (no initdb; install Debian's postgresql)"
fi
for name in "${names[@]}"; do
  url_var="serve_url_$name"
  "$load" "${!url_var}" "$(cat "$work/key.$name")" 500 "$concurrency" 9000000 >/dev/null # warm-up
done
# rounds rotate the order, so neither database always runs first
for r in 1 2 3; do
  if [ $((r % 2)) = 1 ]; then order=("${names[@]}"); else mapfile -t order < <(printf '%s\n' "${names[@]}" | tac); fi
  for name in "${order[@]}"; do round "$name" $((r * 1000000)) "$r"; done
done
echo "$total registrations x 3 rounds per database at concurrency $concurrency; median (min–max)"
printf '%-9s %-26s %-24s %-24s %s\n' database "registrations/s" "p50 per step (ms)" "p99 per step (ms)" "server RSS peak"
for name in "${names[@]}"; do
  rate=$(cat "$work"/round."$name".* | sed -n 's/.* = \([0-9]*\)\/s .*/\1/p' | summary)
  p50=$(cat "$work"/round."$name".* | awk '/^all steps/ {print $4}' | summary)
  p99=$(cat "$work"/round."$name".* | awk '/^all steps/ {print $5}' | summary)
  pid_var="serve_pid_$name"
  printf '%-9s %-26s %-24s %-24s %s\n' "$name" "$rate" "$p50" "$p99" "$(rss "${!pid_var}" VmHWM)"
done
echo "per step, last round:"
for name in "${names[@]}"; do echo "== $name"; sed -n '2,$p' "$work/round.$name.3"; done
