-- Shared by the load scripts: per-thread random seed and the JSON summary each wrk prints at
-- its end (one line starting with {"kind": ...}, read by bench/load.sh).
local M = {}
local threads = {}

function M.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function M.seed(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function M.done(kind, summary, latency)
  local e = summary.errors
  io.write(string.format(
    '{"kind":"%s","requests":%d,"duration_us":%d,"bytes":%d,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    kind, summary.requests, summary.duration, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end

-- The box to draw positions from: "minlon minlat maxlon maxlat" from the arguments.
function M.bbox(args)
  return tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
end

return M
