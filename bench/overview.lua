-- wrk script for bench/overview.sh: one request per CPR, rotating through a CPR list.
--
-- Environment:
--   BENCH_CPR_FILE     one CPR per line
--   BENCH_PATTERN      request path with one %s for the CPR (a literal % is %%)
--   BENCH_TOKEN        when set: Authorization: Bearer <token>; every request also sends
--                      X-Purpose: rehabilitation
--   BENCH_WRK_THREADS  wrk's -t, so that each thread starts at its own place in the list (two
--                      threads on the same CPR at once would share one fan-out in the server)
--   BENCH_CHECK        "" (default): no per-response Lua (fastest; wrk still counts non-2xx);
--                      "status": count 200 / 404 / other; "complete": also count 200 answers
--                      whose body lacks "complete" (an overview that is partial or failed)
--
-- done() prints one line:
--   RESULT req/s p50_ms p90_ms p99_ms max_ms requests socket_errors non2xx n200 n404 nother
--          incomplete
local cprs = {}
for line in io.lines(os.getenv("BENCH_CPR_FILE")) do
  if line ~= "" then cprs[#cprs + 1] = line end
end
local pattern = os.getenv("BENCH_PATTERN")
local token = os.getenv("BENCH_TOKEN") or ""
local check = os.getenv("BENCH_CHECK") or ""

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

local i = 0
function init(args)
  local n = tonumber(os.getenv("BENCH_WRK_THREADS")) or 1
  -- tid is set by setup() in this thread's Lua state
  i = math.floor(((tid or 1) - 1) * #cprs / n)
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
  -- Every personal-data read names its purpose (the bench's token has no default purpose).
  wrk.headers["X-Purpose"] = "rehabilitation"
  n200, n404, nother, incomplete = 0, 0, 0, 0
end

function request()
  i = i + 1
  return wrk.format("GET", string.format(pattern, cprs[(i % #cprs) + 1]))
end

if check ~= "" then
  function response(status, headers, body)
    if status == 200 then
      n200 = n200 + 1
      if check == "complete" and not string.find(body, '"complete"', 1, true) then
        incomplete = incomplete + 1
      end
    elseif status == 404 then
      n404 = n404 + 1
    else
      nother = nother + 1
    end
  end
end

function done(summary, latency, requests)
  local c200, c404, cother, cinc = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c200 = c200 + (t:get("n200") or 0)
    c404 = c404 + (t:get("n404") or 0)
    cother = cother + (t:get("nother") or 0)
    cinc = cinc + (t:get("incomplete") or 0)
  end
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %.2f %.2f %d %d %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    c200, c404, cother, cinc))
  -- The latency distribution (ms at each percentile), for bench/overview.sh to compute the
  -- distribution of the slowest of several systems asked at once.
  local ps = {}
  for p = 1, 99 do ps[#ps + 1] = p end
  for k = 1, 9 do ps[#ps + 1] = 99 + k / 10 end
  ps[#ps + 1] = 99.95
  ps[#ps + 1] = 99.99
  io.write("CDF")
  for _, p in ipairs(ps) do
    io.write(string.format(" %g:%.3f", p, latency:percentile(p) / 1000))
  end
  io.write(string.format(" 100:%.3f\n", latency.max / 1000))
end
