# shellcheck shell=bash disable=SC2034 # the variables set here are read by the scripts sourcing it
# Shared by the bench scripts (source it): starts `hpr sandbox` on a free loopback port and stops
# it at exit.
#
#   start_sandbox HPR WORKDIR [SANDBOX FLAGS...]
#
# sets `sandbox_pid`, `sandbox_addr` (127.0.0.1:PORT) and `sandbox_seed`, or exits 1 with the
# sandbox's stderr when it did not announce a loopback address. The caller's EXIT trap should
# call `stop_sandbox`.

sandbox_pid=
sandbox_addr=
sandbox_seed=

start_sandbox() {
  local hpr=$1 work=$2
  shift 2
  "$hpr" sandbox --addr 127.0.0.1:0 "$@" >"$work/sandbox.out" 2>"$work/sandbox.err" &
  sandbox_pid=$!
  # the first stdout line: `hpr sandbox: listening on http://ADDR (seed S)`
  local line=
  for _ in $(seq 200); do
    line=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || break
    sleep 0.05
  done
  local re='^hpr sandbox: listening on http://(127\.0\.0\.1:[0-9]+) \(seed ([0-9]+)\)$'
  if [[ ! $line =~ $re ]]; then
    echo "$(basename "$0"): the sandbox did not announce a loopback address (got: '$line')" >&2
    cat "$work/sandbox.err" >&2
    exit 1
  fi
  sandbox_addr=${BASH_REMATCH[1]}
  sandbox_seed=${BASH_REMATCH[2]}
}

stop_sandbox() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
}
