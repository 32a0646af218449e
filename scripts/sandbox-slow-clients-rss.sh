#!/usr/bin/env bash
# Resident memory of `hpr sandbox` under slow clients, on loopback only.
#
# Starts `hpr sandbox --addr 127.0.0.1:0` (default limits: --max-connections 1024,
# --header-timeout-secs as given), then runs ROUNDS rounds of SLOW connections opened at once:
# half stall mid-head, half send a whole head then stall mid-body. Odd rounds close the clients'
# sockets themselves after a moment; even rounds leave them open until the sandbox's header
# timeout closes them. Prints VmRSS (from /proc/PID/status) at the baseline, with the
# connections open, and after they are gone, for every round; then VmHWM (the peak).
#
# Usage: scripts/sandbox-slow-clients-rss.sh [SLOW] [ROUNDS] [TIMEOUT_SECS]   (1500 2 3)
# HPR=path/to/hpr uses that binary instead of building target/release/hpr; BODY_PATH=/path sends
# the mid-body clients there (default /aadhaar/generateOtp); TRIM_PROBE=1 then calls glibc's
# malloc_trim(0) in the sandbox through gdb and prints VmRSS again — only meaningful for an `hpr`
# built with glibc's malloc (it kept most freed memory; `hpr` now uses jemalloc, which purges it).
set -euo pipefail
cd "$(dirname "$0")/.."
slow=${1:-1500}
rounds=${2:-2}
timeout_secs=${3:-3}

if [ -z "${HPR:-}" ]; then
  cargo build --release --quiet -p hpr-cli
  HPR=target/release/hpr
fi
work=$(mktemp -d)
# shellcheck source=scripts/sandbox-lib.sh
. scripts/sandbox-lib.sh
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT

start_sandbox "$HPR" "$work" --seed 1 --quiet-sms --header-timeout-secs "$timeout_secs"
addr=$sandbox_addr

BODY_PATH=${BODY_PATH:-/aadhaar/generateOtp} python3 - "$addr" "$sandbox_pid" "$slow" "$rounds" "$timeout_secs" <<'PY'
import json, os, socket, sys, time

addr, pid, slow, rounds, timeout_secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
host, port = addr.rsplit(":", 1)
assert host.startswith("127."), "loopback only"
port = int(port)

def status(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])

def threads():
    return status("Threads")

def request(raw):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(raw)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data

def health():
    return request(f"GET /_sandbox/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n".encode())

def warm_up():
    body = json.dumps({"aadhaar": "234123412346"}).encode()
    for i in range(50):
        assert health().startswith(b"HTTP/1.1 200")
    head = (f"POST /hpId/suggestion HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer k\r\n"
            f"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").encode()
    for i in range(50):
        request(head)

def open_slow(n):
    socks = []
    refused = 0
    for i in range(n):
        try:
            s = socket.create_connection((host, port), timeout=5)
        except OSError:
            refused += 1
            continue
        s.setblocking(False)
        try:
            if i % 2 == 0:
                # stalls mid-head
                s.send(b"POST /aadhaar/generateOtp HTTP/1.1\r\nHost: " + addr.encode() + b"\r\nX-Pad: " + b"a" * 512)
            else:
                # a whole head, then stalls mid-body
                s.send((f"POST {os.environ['BODY_PATH']} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer k\r\n"
                        f"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n").encode() + b"{" + b" " * 1024)
        except OSError:
            pass
        socks.append(s)
    return socks, refused

def answers(socks):
    """Counts 503 / 408 answers already received, and connections the sandbox closed."""
    got = {"503": 0, "408": 0, "closed": 0}
    for s in socks:
        try:
            data = s.recv(65536)
            if not data:
                got["closed"] += 1
            elif data.startswith(b"HTTP/1.1 503"):
                got["503"] += 1
            elif data.startswith(b"HTTP/1.1 408"):
                got["408"] += 1
        except BlockingIOError:
            pass
        except OSError:
            got["closed"] += 1
    return got

warm_up()
time.sleep(0.5)
base = status("VmRSS")
print(f"baseline after warm-up: VmRSS {base} KiB, threads {threads()}")
for r in range(1, rounds + 1):
    t0 = time.time()
    socks, refused = open_slow(slow)
    time.sleep(0.5)
    held = status("VmRSS")
    if r % 2 == 1:
        time.sleep(0.7)
        got = answers(socks)
        for s in socks:
            s.close()
        how = "closed by the clients"
    else:
        time.sleep(timeout_secs + 1.5)
        got = answers(socks)
        how = "closed by the sandbox's timeouts"
        for s in socks:
            s.close()
    time.sleep(1.5)
    ok = health().startswith(b"HTTP/1.1 200")
    after = status("VmRSS")
    print(f"round {r}: {len(socks)} slow connections ({refused} refused at connect); "
          f"open: VmRSS {held} KiB; answers seen: {got}; {how}; "
          f"after: VmRSS {after} KiB ({after - base:+d} KiB vs baseline), serving: {ok}, "
          f"{time.time() - t0:.1f} s")
print(f"peak VmHWM {status('VmHWM')} KiB")
PY

# Diagnostic: is what stays resident free heap the allocator keeps, or memory still in use?
# (needs gdb; glibc's malloc_trim(0) hands free heap pages back to the OS)
if [ -n "${TRIM_PROBE:-}" ]; then
  gdb -p "$sandbox_pid" -batch -ex 'call (int) malloc_trim(0)' >/dev/null 2>&1 || true
  echo "after malloc_trim(0) in the sandbox: $(grep VmRSS /proc/"$sandbox_pid"/status)"
fi

