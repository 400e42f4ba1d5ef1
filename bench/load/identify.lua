-- GET /api/identify at random positions in a lon/lat box.
package.path = os.getenv("LOAD_LUA") .. "/?.lua;" .. package.path
local c = require("common")
local x0, y0, x1, y1
setup = c.setup
function init(args)
  c.seed(args)
  x0, y0, x1, y1 = c.bbox(args)
end
function request()
  local lon = x0 + math.random() * (x1 - x0)
  local lat = y0 + math.random() * (y1 - y0)
  return wrk.format("GET", string.format("/api/identify?lon=%.6f&lat=%.6f", lon, lat))
end
function done(summary, latency, requests) c.done("identify", summary, latency) end
