-- Farmland vector tiles z10–z16 over a lon/lat box, in random order (each thread its own):
-- wrk -s tiles.lua URL -- minlon minlat maxlon maxlat
package.path = os.getenv("LOAD_LUA") .. "/?.lua;" .. package.path
local c = require("common")
local paths = {}
local function tx(lon, z) return math.floor((lon + 180) / 360 * 2 ^ z) end
local function ty(lat, z)
  local r = math.rad(lat)
  return math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2 ^ z)
end
setup = c.setup
function init(args)
  c.seed(args)
  local x0, y0, x1, y1 = c.bbox(args)
  for z = 10, 16 do
    for x = tx(x0, z), tx(x1, z) do
      for y = ty(y1, z), ty(y0, z) do
        paths[#paths + 1] = string.format("/tiles/farmland/%d/%d/%d.pbf", z, x, y)
      end
    end
  end
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests) c.done("tiles", summary, latency) end
