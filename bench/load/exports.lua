-- The GeoJSON exports, alternately: the red line layer and the conflicts.
package.path = os.getenv("LOAD_LUA") .. "/?.lua;" .. package.path
local c = require("common")
local paths = { "/api/layers/red_line.geojson", "/api/conflicts.geojson" }
local i = 0
setup = c.setup
function init(args)
  c.seed(args)
  i = (id or 0) % #paths
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests) c.done("exports", summary, latency) end
