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

# each registration is followed by the floor: 8 processes of /bin/true started the same way
declare -A total_us=([step]=0 [floor]=0) best_us=([step]=0 [floor]=0)
n=0
for a in $(aadhaar_numbers 3 0 "$runs"); do
  for subject in step floor; do
    timed_registration "$subject" "$hpr" "$work/s$n.json" "$n" "$a"
    total_us[$subject]=$((total_us[$subject] + elapsed_us))
    if [ "${best_us[$subject]}" -eq 0 ] || [ "$elapsed_us" -lt "${best_us[$subject]}" ]; then
      best_us[$subject]=$elapsed_us
    fi
  done
  n=$((n + 1))
done
awk -v n="$n" -v t="${total_us[step]}" -v b="${best_us[step]}" -v ft="${total_us[floor]}" -v fb="${best_us[floor]}" 'BEGIN {
  printf "hpr step x 8 (mobile-OTP branch), %d registrations: mean %.1f ms, best %.1f ms per registration (%.2f ms per process)\n", n, t / n / 1e3, b / 1e3, t / n / 8e3
  printf "floor, /bin/true x 8 started the same way:            mean %.1f ms, best %.1f ms (%.2f ms per process)\n", ft / n / 1e3, fb / 1e3, ft / n / 8e3 }'
