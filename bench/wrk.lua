-- wrk script shared by every scenario and target (same generator for bagroom, the peer and the store).
-- Environment: WRK_METHOD (GET), WRK_BODY_FILE (request body read once), WRK_HEADERS ("name: value|name: value"),
-- WRK_OUT (where done() writes a JSON summary).
wrk.method = os.getenv("WRK_METHOD") or "GET"
local bf = os.getenv("WRK_BODY_FILE")
if bf and bf ~= "" then
  local f = assert(io.open(bf, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Length"] = tostring(#wrk.body)
end
local hs = os.getenv("WRK_HEADERS")
if hs and hs ~= "" then
  for pair in string.gmatch(hs, "[^|]+") do
    local k, v = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if k then wrk.headers[k] = v end
  end
end

function done(summary, latency, requests)
  local out = os.getenv("WRK_OUT")
  if not out then return end
  local e = summary.errors
  local f = assert(io.open(out, "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
  f:close()
end
