-- The one request shape of every wrk run, configured from the environment by tools/bench/wrk.ts
-- (wrk gives each thread its own Lua state, so a global table would not reach done()):
--   BENCH_METHOD, BENCH_BODY (JSON), BENCH_BODIES (JSON bodies one per line, sent in turn, so
--   that, e.g., sign-ins spread over several accounts), BENCH_TOKEN (bearer), BENCH_DELAY_MS
--   (pause between a connection's requests, for a paced probe instead of a saturating one).
-- done() prints one JSON line prefixed with "WRK_JSON ".

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local bodies = {}
for line in string.gmatch(os.getenv("BENCH_BODIES") or "", "[^\n]+") do
  table.insert(bodies, line)
end
if #bodies > 0 then
  wrk.headers["Content-Type"] = "application/json"
  local turn = 0
  function request()
    turn = turn % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[turn])
  end
end

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause and pause > 0 then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean
  ))
end
