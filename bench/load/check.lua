-- POST /api/check with varied small sites: the bodies bench/load.sh drew (squares and
-- triangles of 50–400 m inside the county, one JSON a line in $LOAD_SITES), in random order.
package.path = os.getenv("LOAD_LUA") .. "/?.lua;" .. package.path
local c = require("common")
local bodies = {}
setup = c.setup
function init(args)
  c.seed(args)
  for line in io.lines(os.getenv("LOAD_SITES")) do
    bodies[#bodies + 1] = line
  end
end
function request()
  local body = bodies[math.random(#bodies)]
  return wrk.format("POST", "/api/check", { ["Content-Type"] = "application/geo+json" }, body)
end
function done(summary, latency, requests) c.done("check", summary, latency) end
