#!/usr/bin/env bash
# Peak resident memory of `hpr step`: one whole scripted registration (8 steps, mobile-OTP
# branch) against `hpr sandbox` on loopback, each step under `/usr/bin/time -f %M`.
# Prints the peak RSS in KiB of every step and the largest. Usage: scripts/bench-step-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "bench-step-rss: /usr/bin/time is missing (apt-get install -y time)" >&2
  exit 2
fi
cargo build --release --quiet -p hpr-cli
hpr=target/release/hpr
work=$(mktemp -d)
# shellcheck source=scripts/sandbox-lib.sh
. scripts/sandbox-lib.sh
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT

start_sandbox "$hpr" "$work" --seed 1 --fixed-otp 123456 --resend-interval-secs 0 --quiet-sms
export HPR_API_URL=http://$sandbox_addr HPR_API_KEY=bench
echo "sandbox on $HPR_API_URL (seed $sandbox_seed); $("$hpr" --version)"

state="$work/s.json"
max=0
# step NAME [PAYLOAD]: runs one step under /usr/bin/time, prints its peak RSS, keeps the max
step() {
  local name=$1 args=(step "$1" --state "$state")
  [ $# -ge 2 ] && args+=(--payload "$2")
  /usr/bin/time -f %M -o "$work/rss" "$hpr" "${args[@]}" >"$work/out.json"
  local kib
  kib=$(tail -n 1 "$work/rss")
  printf '  %-32s %8s KiB\n' "$name" "$kib"
  [ "$kib" -gt "$max" ] && max=$kib
  return 0
}

echo "hpr step peak RSS (one registration, mobile-OTP branch):"
step generate_aadhaar_otp '{"aadhaar":"234123412346"}'
step verify_aadhaar_otp '{"otp":"123456"}'
step check_account_exist
step demographic_auth_via_mobile '{"mobileNumber":"6000000001"}'
if ! grep -q '"next_step":"generate_mobile_otp"' "$work/out.json"; then
  echo "bench-step-rss: expected the mobile-OTP branch; got: $(cat "$work/out.json")" >&2
  exit 1
fi
step generate_mobile_otp
step verify_mobile_otp '{"otp":"123456"}'
step get_hpr_id_suggestion
step create_hpr_id_with_preverified \
  '{"hprId":"rss.bench1","password":"Ayushman@143","email":"rss@example.com","hpCategoryCode":"1","hpSubCategoryCode":"1"}'
if ! grep -q '"next_step":null' "$work/out.json"; then
  echo "bench-step-rss: the registration did not complete: $(cat "$work/out.json")" >&2
  exit 1
fi
printf '  %-32s %8s KiB\n' "max" "$max"
