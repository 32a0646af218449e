#!/usr/bin/env bash
# Wall time of a whole scripted registration: `hpr step` x 8 (mobile-OTP branch) against a
# running `hpr sandbox` on loopback. Usage: scripts/bench-step.sh [RUNS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
hpr=target/release/hpr
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$hpr" sandbox --addr 127.0.0.1:0 --seed 1 --fixed-otp 123456 --resend-interval-secs 0 --quiet-sms >"$work/sandbox.out" &
sandbox_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sandbox.out" 2>/dev/null && break; sleep 0.05; done
url=$(grep -o 'http://[0-9.:]*' "$work/sandbox.out" | head -1)
export HPR_API_URL=$url HPR_API_KEY=bench

# synthetic Aadhaar numbers: 2 + a counter + the Verhoeff check digit
aadhaar_numbers=$(python3 - "$runs" <<'PY'
import sys
d=[[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
p=[[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]
inv=[0,4,3,2,1,5,6,7,8,9]
for n in range(int(sys.argv[1])):
    payload=f"3{n:010d}"; c=0
    for i,ch in enumerate(reversed(payload)): c=d[c][p[(i+1)%8][int(ch)]]
    print(payload+str(inv[c]))
PY
)

total_ns=0; best_ns=0; n=0
for a in $aadhaar_numbers; do
  state="$work/s$n.json"
  start=$(date +%s%N)
  "$hpr" step generate_aadhaar_otp --payload "{\"aadhaar\":\"$a\"}" --state "$state" >/dev/null
  "$hpr" step verify_aadhaar_otp --payload '{"otp":"123456"}' --state "$state" >/dev/null
  "$hpr" step check_account_exist --state "$state" >/dev/null
  "$hpr" step demographic_auth_via_mobile --payload '{"mobileNumber":"6000000001"}' --state "$state" >/dev/null
  "$hpr" step generate_mobile_otp --state "$state" >/dev/null
  "$hpr" step verify_mobile_otp --payload '{"otp":"123456"}' --state "$state" >/dev/null
  "$hpr" step get_hpr_id_suggestion --state "$state" >/dev/null
  "$hpr" step create_hpr_id_with_preverified --state "$state" \
    --payload "{\"hprId\":\"bench.user$n\",\"password\":\"Ayushman@143\",\"email\":\"b$n@example.com\",\"hpCategoryCode\":\"1\",\"hpSubCategoryCode\":\"1\"}" >/dev/null
  elapsed=$(( $(date +%s%N) - start ))
  total_ns=$((total_ns + elapsed)); n=$((n + 1))
  if [ "$best_ns" -eq 0 ] || [ "$elapsed" -lt "$best_ns" ]; then best_ns=$elapsed; fi
done
printf 'hpr step x 8 (mobile-OTP branch), %d registrations: mean %.1f ms, best %.1f ms per registration\n' \
  "$n" "$(echo "$total_ns / $n / 1000000" | bc -l)" "$(echo "$best_ns / 1000000" | bc -l)"
