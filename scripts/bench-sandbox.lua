-- wrk script for scripts/bench-sandbox.sh: POST /aadhaar/generateOtp, a different valid Aadhaar
-- number on every request of a thread, cycling through a pool per thread (see the script's
-- header for why a pool). The requests are built once in init(), so that the load generator
-- (which shares the CPUs with the server) spends no time per request building them.
--
-- Environment: BENCH_POOL (numbers per thread, default 50000), BENCH_STRICT=1 to check every
-- status in response() (slower: for the warm-up run, not the measured one).
--
-- done() prints one line: `bench-result <requests> <duration_us> <status_errors>
-- <socket_errors> <p50_us> <p99_us> <non_2xx_strict>` (the last is -1 when not BENCH_STRICT).

-- Verhoeff tables (CONTRACT 5.1)
local d = {
  {0,1,2,3,4,5,6,7,8,9}, {1,2,3,4,0,6,7,8,9,5}, {2,3,4,0,1,7,8,9,5,6}, {3,4,0,1,2,8,9,5,6,7},
  {4,0,1,2,3,9,5,6,7,8}, {5,9,8,7,6,0,4,3,2,1}, {6,5,9,8,7,1,0,4,3,2}, {7,6,5,9,8,2,1,0,4,3},
  {8,7,6,5,9,3,2,1,0,4}, {9,8,7,6,5,4,3,2,1,0},
}
local p = {
  {0,1,2,3,4,5,6,7,8,9}, {1,5,7,6,2,8,3,0,9,4}, {5,8,0,3,7,9,6,1,4,2}, {8,9,1,6,0,4,3,5,2,7},
  {9,4,5,3,1,2,6,8,7,0}, {4,2,8,6,5,7,3,9,0,1}, {2,7,9,3,8,0,6,4,1,5}, {7,0,4,6,9,1,3,2,5,8},
}
local inv = {0,4,3,2,1,5,6,7,8,9}

-- the 11-digit payload plus its check digit
local function aadhaar(payload)
  local c = 0
  local n = #payload
  for i = n, 1, -1 do
    local position = n - i + 1 -- the check digit will be position 0
    local digit = payload:byte(i) - 48
    c = d[c + 1][p[(position % 8) + 1][digit + 1] + 1]
  end
  return payload .. inv[c + 1]
end

-- main state: number the threads and collect the strict counts
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- thread state
local requests = {}
local count = 0
local at = 0
local bad = 0

function init(args)
  local pool = tonumber(os.getenv("BENCH_POOL") or "50000")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer bench",
  }
  for i = 1, pool do
    -- lead digit 5, the thread's digit, then a 9-digit counter: distinct across threads
    local number = aadhaar(string.format("5%d%09d", thread_id % 10, i))
    requests[i] = wrk.format("POST", "/aadhaar/generateOtp", headers,
      '{"aadhaar":"' .. number .. '"}')
  end
  count = pool
end

function request()
  at = at % count + 1
  return requests[at]
end

-- defined only when asked for: without it wrk does not hand responses to Lua at all
if os.getenv("BENCH_STRICT") == "1" then
  function response(status, headers, body)
    if status < 200 or status > 299 then
      bad = bad + 1
      wrk.thread:set("bad", bad)
    end
  end
end

function done(summary, latency, requests)
  local strict_bad = -1
  if os.getenv("BENCH_STRICT") == "1" then
    strict_bad = 0
    for _, thread in ipairs(threads) do
      strict_bad = strict_bad + (thread:get("bad") or 0)
    end
  end
  local e = summary.errors
  io.write(string.format("bench-result %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), strict_bad))
end
