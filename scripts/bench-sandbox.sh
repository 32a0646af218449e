#!/usr/bin/env bash
# Requests/s and latency of `hpr sandbox` against "the floor" (a bare axum stub, served the same
# way, answering the same call with a fixed body of the same shape and size), measured by an
# external load generator (wrk) over 64 keep-alive connections on loopback.
#
#   scripts/bench-sandbox.sh [ROUNDS] [SECONDS]      (defaults: 3 rounds of 10 s per subject)
#
# The measured call: `POST /aadhaar/generateOtp` (step 1, the cheap call every registration starts
# with), each request with a different valid Aadhaar number (Verhoeff check digit), built by
# scripts/bench-sandbox.lua. Why a pool: every distinct number leaves a live transaction
# (30 min), so a 10 s flood of ever-new numbers would grow the sandbox's state by ~1M
# transactions a round (hundreds of MB, hash-map growth pauses, and the default cap of 1,000,000
# live transactions answers 429 beyond it) — a measurement of state growth, not of serving. So
# each wrk thread cycles through its own pool of 50,000 numbers (BENCH_POOL), and the sandbox
# runs with `--resend-interval-secs 0`: a repeated number supersedes its previous transaction, so
# the state holds a steady ~100,000 live transactions (a busy sandbox, not an empty one) and each
# request does the real work (throttle check, supersede, insert, identity, SMS record).
#
# Each measurement starts its subject afresh (sandbox: `--seed 1 --fixed-otp 123456
# --resend-interval-secs 0 --quiet-sms`), runs a 2 s warm-up that fills the pool and checks every
# response's status in wrk's response() hook (any non-2xx fails the script), then the measured
# run (`wrk -t2 -c64 --latency`, no per-response hook: it would slow the load generator, which
# shares the 2 CPUs with the server); there any status >= 400 or socket error (wrk's own counts)
# fails the script too. Rounds alternate the order: stub then sandbox, then sandbox then stub, ...
# Everything is on 127.0.0.1.
#
# Output (stdout): one tab-separated line per measurement for machines,
#   sandbox-load<TAB>SUBJECT<TAB>ROUND<TAB>REQ_PER_S<TAB>P50_US<TAB>P99_US
# with SUBJECT `sandbox` or `stub`, then a summary for humans, each line starting with `# `.
# Needs wrk (installed with apt-get when running as root and missing). BENCH_HPR=PATH measures
# another `hpr` binary (e.g. an older build) against the same stub.
set -euo pipefail
cd "$(dirname "$0")/.."
me=$(basename "$0")
rounds=${1:-3}
seconds=${2:-10}
case "$rounds$seconds" in
  *[!0-9]*|'') echo "usage: $me [ROUNDS] [SECONDS]  (positive integers)" >&2; exit 2 ;;
esac
if [ "$rounds" -lt 1 ] || [ "$seconds" -lt 1 ]; then
  echo "usage: $me [ROUNDS] [SECONDS]  (positive integers)" >&2
  exit 2
fi
warmup=2
connections=64

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "$me: installing wrk (apt-get)" >&2
    apt-get update >/dev/null && apt-get install -y wrk >/dev/null
  else
    echo "$me: wrk is missing: install Debian's package 'wrk' (sudo apt-get install -y wrk)" >&2
    exit 1
  fi
fi

cargo build --release --quiet -p hpr-cli
cargo build --release --quiet -p hpr-sandbox --example axum_stub
target=${CARGO_TARGET_DIR:-target}
hpr=${BENCH_HPR:-$target/release/hpr}
stub=$target/release/examples/axum_stub
script=scripts/bench-sandbox.lua

# shellcheck source=scripts/sandbox-lib.sh
. scripts/sandbox-lib.sh
work=$(mktemp -d)
stub_pid=
stop_stub() {
  if [ -n "$stub_pid" ]; then
    kill "$stub_pid" 2>/dev/null || true
    wait "$stub_pid" 2>/dev/null || true
    stub_pid=
  fi
}
trap 'stop_sandbox; stop_stub; rm -rf "$work"' EXIT

# sets stub_addr
start_stub() {
  "$stub" --addr 127.0.0.1:0 >"$work/stub.out" 2>"$work/stub.err" &
  stub_pid=$!
  local line=
  for _ in $(seq 200); do
    line=$(head -n 1 "$work/stub.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$stub_pid" 2>/dev/null || break
    sleep 0.05
  done
  local re='^axum_stub: listening on http://(127\.0\.0\.1:[0-9]+)$'
  if [[ ! $line =~ $re ]]; then
    echo "$me: the stub did not announce a loopback address (got: '$line')" >&2
    cat "$work/stub.err" >&2
    exit 1
  fi
  stub_addr=${BASH_REMATCH[1]}
}

# run_wrk ADDR SECONDS STRICT OUT: one wrk run; its `bench-result` line goes to OUT
run_wrk() {
  local addr=$1 secs=$2 strict=$3 out=$4
  # bounded: wrk stops itself after SECS; the timeout only guards against a hang
  if ! BENCH_STRICT=$strict timeout $((secs + 30)) \
      wrk -t2 -c"$connections" -d"${secs}s" --latency -s "$script" "http://$addr/" >"$out.full" 2>&1; then
    echo "$me: wrk failed against $addr:" >&2
    cat "$out.full" >&2
    exit 1
  fi
  if ! grep '^bench-result ' "$out.full" >"$out"; then
    echo "$me: wrk printed no result against $addr:" >&2
    cat "$out.full" >&2
    exit 1
  fi
}

# measure SUBJECT ROUND: prints the machine line
measure() {
  local subject=$1 round=$2 addr
  case $subject in
    sandbox)
      start_sandbox "$hpr" "$work" --seed 1 --fixed-otp 123456 --resend-interval-secs 0 --quiet-sms
      addr=$sandbox_addr ;;
    stub)
      start_stub
      addr=$stub_addr ;;
  esac
  local warm=$work/warm.$subject.$round res=$work/res.$subject.$round
  run_wrk "$addr" "$warmup" 1 "$warm"
  local _r _d _s _e _p50 _p99 strict_bad
  read -r _ _r _d _s _e _p50 _p99 strict_bad <"$warm"
  if [ "$strict_bad" != 0 ] || [ "$_e" != 0 ]; then
    echo "$me: $subject round $round warm-up: $strict_bad non-2xx responses, $_e socket errors" >&2
    exit 1
  fi
  run_wrk "$addr" "$seconds" 0 "$res"
  local requests duration status_errors socket_errors p50 p99
  read -r _ requests duration status_errors socket_errors p50 p99 _ <"$res"
  case $subject in
    sandbox) stop_sandbox; sandbox_pid= ;;
    stub) stop_stub ;;
  esac
  if [ "$status_errors" != 0 ] || [ "$socket_errors" != 0 ] || [ "$requests" -eq 0 ]; then
    echo "$me: $subject round $round: $status_errors non-2xx responses, $socket_errors socket errors, $requests requests" >&2
    exit 1
  fi
  local rate=$(( requests * 1000000 / duration ))
  printf 'sandbox-load\t%s\t%s\t%s\t%s\t%s\n' "$subject" "$round" "$rate" "$p50" "$p99" | tee -a "$work/lines"
}

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="stub sandbox"; else order="sandbox stub"; fi
  for subject in $order; do
    measure "$subject" "$round"
  done
done

# the human summary: median and range per subject and column, then the ratios of the medians
awk -F'\t' -v rounds="$rounds" -v secs="$seconds" -v conns="$connections" '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function range(a, n,   i, lo, hi) {
    lo = a[1]; hi = a[1]
    for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    return lo "-" hi
  }
  { s = $2; n[s]++; rate[s, n[s]] = $4; p50[s, n[s]] = $5; p99[s, n[s]] = $6 }
  END {
    printf "# POST /aadhaar/generateOtp, wrk -t2 -c%d, %d rounds x %d s per subject (median, min-max)\n", conns, rounds, secs
    for (k = 0; k < 2; k++) {
      s = k ? "sandbox" : "stub"
      for (i = 1; i <= n[s]; i++) { r[i] = rate[s, i]; a[i] = p50[s, i]; b[i] = p99[s, i] }
      mr[s] = median(r, n[s]); m99[s] = median(b, n[s])
      printf "# %-7s req/s %d (%s)  p50 %d us (%s)  p99 %d us (%s)\n", s, mr[s], range(r, n[s]), median(a, n[s]), range(a, n[s]), m99[s], range(b, n[s])
    }
    printf "# sandbox/stub: req/s %.2fx, p99 %.2fx\n", mr["sandbox"] / mr["stub"], m99["sandbox"] / m99["stub"]
  }' "$work/lines"
# the VM may be shared: other work on the CPUs shows here and in the spread of the rounds
echo "# load average (1 min) before: $load_before, after: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
