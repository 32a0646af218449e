# shellcheck shell=bash
# Shared by the bench scripts (source it after scripts/sandbox-lib.sh where a sandbox is needed).
#
#   aadhaar_numbers PREFIX FIRST COUNT    synthetic Aadhaar numbers, one a line: the digit PREFIX,
#                                         a 10-digit counter from FIRST, the Verhoeff check digit
#   step_registration HPR STATE N AADHAAR one whole registration through `hpr step` (8 processes,
#                                         mobile-OTP branch; HPR ID bench.user<N>); every process
#                                         runs under "${step_wrap[@]}" when that array is set
#   floor_registration                    the shell's own part of that: 8 processes of /bin/true,
#                                         started and redirected as step_registration starts hpr
#   timed_registration SUBJECT HPR STATE N AADHAAR
#                                         one step_registration (SUBJECT step) or
#                                         floor_registration (SUBJECT floor); sets elapsed_us
#   start_serve HPR WORK NAME DATABASE    `hpr serve` (embedded sandbox, seed 1, OTP 123456, no
#                                         rate limit) on a free loopback port; sets serve_pid_NAME,
#                                         serve_url_NAME, key_NAME and appends the pid to `pids`
#   vm_hwm PID                            the peak RSS of a live process, in KiB (/proc VmHWM)
#
# The caller sets `set -euo pipefail`, owns `pids` and kills them in its EXIT trap.

aadhaar_numbers() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
d=[[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
p=[[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]
inv=[0,4,3,2,1,5,6,7,8,9]
prefix, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(first, first + count):
    payload=f"{prefix}{n % 10**10:010d}"; c=0
    for i,ch in enumerate(reversed(payload)): c=d[c][p[(i+1)%8][int(ch)]]
    print(payload+str(inv[c]))
PY
}

step_wrap=()

step_registration() {
  local hpr=$1 state=$2 n=$3 aadhaar=$4
  local run=("${step_wrap[@]}" "$hpr" step) out
  "${run[@]}" generate_aadhaar_otp --payload "{\"aadhaar\":\"$aadhaar\"}" --state "$state" >/dev/null
  "${run[@]}" verify_aadhaar_otp --payload '{"otp":"123456"}' --state "$state" >/dev/null
  "${run[@]}" check_account_exist --state "$state" >/dev/null
  "${run[@]}" demographic_auth_via_mobile --payload '{"mobileNumber":"6000000001"}' --state "$state" >"$state.out"
  # the checks read the one-line output with bash's `read`: no other process is timed
  IFS= read -r out <"$state.out" || true
  if [[ $out != *'"next_step":"generate_mobile_otp"'* ]]; then
    echo "$(basename "$0"): registration $n: expected the mobile-OTP branch" >&2
    return 1
  fi
  "${run[@]}" generate_mobile_otp --state "$state" >/dev/null
  "${run[@]}" verify_mobile_otp --payload '{"otp":"123456"}' --state "$state" >/dev/null
  "${run[@]}" get_hpr_id_suggestion --state "$state" >/dev/null
  "${run[@]}" create_hpr_id_with_preverified --state "$state" \
    --payload "{\"hprId\":\"bench.user$n\",\"password\":\"Ayushman@143\",\"email\":\"b$n@example.com\",\"hpCategoryCode\":\"1\",\"hpSubCategoryCode\":\"1\"}" >"$state.out"
  IFS= read -r out <"$state.out" || true
  if [[ $out != *'"next_step":null'* ]]; then
    echo "$(basename "$0"): registration $n did not complete" >&2
    return 1
  fi
}

floor_registration() {
  local _
  for _ in 1 2 3 4 5 6 7 8; do /bin/true >/dev/null; done
}

# shellcheck disable=SC2034 # read by the scripts sourcing this file
elapsed_us=0
timed_registration() {
  local subject=$1 start
  shift
  # $EPOCHREALTIME is read by bash itself: `date` would add a process to the time measured
  start=${EPOCHREALTIME/[.,]/}
  if [ "$subject" = floor ]; then floor_registration; else step_registration "$@"; fi
  # shellcheck disable=SC2034 # read by the scripts sourcing this file
  elapsed_us=$((${EPOCHREALTIME/[.,]/} - start))
}

start_serve() {
  local hpr=$1 work=$2 name=$3 url=$4
  "$hpr" serve keys create --name bench --database "$url" >"$work/key.$name" 2>/dev/null
  "$hpr" serve --addr 127.0.0.1:0 --database "$url" --sandbox-seed 1 --sandbox-fixed-otp 123456 --sandbox-quiet-sms \
    --rate-limit-per-min 0 >"$work/serve.$name.out" 2>"$work/serve.$name.err" &
  local pid=$!
  pids+=("$pid")
  local line=
  for _ in $(seq 200); do
    line=$(head -n 1 "$work/serve.$name.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  local re='^hpr serve: listening on (http://127\.0\.0\.1:[0-9]+)$'
  if [[ ! $line =~ $re ]]; then
    echo "$(basename "$0"): hpr serve did not start: $line" >&2
    cat "$work/serve.$name.err" >&2
    exit 1
  fi
  printf -v "serve_pid_$name" '%s' "$pid"
  printf -v "serve_url_$name" '%s' "${BASH_REMATCH[1]}"
  printf -v "key_$name" '%s' "$(cat "$work/key.$name")"
}

vm_hwm() { awk '$1=="VmHWM:" {print $2}' "/proc/$1/status"; }
