#!/usr/bin/env bash
# Wall time of a whole scripted registration: `hpr step` x 8 (mobile-OTP branch) against a
# running `hpr sandbox` on loopback. Usage: scripts/bench-step.sh [RUNS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet -p hpr-cli
hpr=target/release/hpr
work=$(mktemp -d)
# shellcheck source=scripts/sandbox-lib.sh
. scripts/sandbox-lib.sh
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
trap 'stop_sandbox; rm -rf "$work"' EXIT

start_sandbox "$hpr" "$work" --seed 1 --fixed-otp 123456 --resend-interval-secs 0 --quiet-sms
export HPR_API_URL=http://$sandbox_addr HPR_API_KEY=bench

total_ns=0; best_ns=0; n=0
for a in $(aadhaar_numbers 3 0 "$runs"); do
  start=$(date +%s%N)
  step_registration "$hpr" "$work/s$n.json" "$n" "$a"
  elapsed=$(( $(date +%s%N) - start ))
  total_ns=$((total_ns + elapsed)); n=$((n + 1))
  if [ "$best_ns" -eq 0 ] || [ "$elapsed" -lt "$best_ns" ]; then best_ns=$elapsed; fi
done
awk -v n="$n" -v t="$total_ns" -v b="$best_ns" 'BEGIN {
  printf "hpr step x 8 (mobile-OTP branch), %d registrations: mean %.1f ms, best %.1f ms per registration\n", n, t / n / 1e6, b / 1e6 }'
