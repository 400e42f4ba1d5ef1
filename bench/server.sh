#!/usr/bin/env bash
# Load test of the HTTP server with wrk (Debian): requests/s and p99 latency of
#   - POST /api/check with a ~1.2 km² site that overlaps 33 farmland patches, a corridor and
#     the red line (the full overlay path), and
#   - GET farmland vector tiles z12–z14 over the whole farmland extent, first with a cold
#     tile cache (every tile encoded once), then warm.
# Usage: bench/server.sh [BASE_URL]   (default: start target/release/planmap on a free port)
# Every run is bounded: DURATION seconds (default 10) per scenario, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DATA=${DATA:-data/wenshui}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (make deps installs it)" >&2; exit 1; }

BASE=${1:-}
SERVER_PID=
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
if [ -z "$BASE" ]; then
  BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/planmap}
  [ -x "$BIN" ] || { echo "bench: $BIN not built (make build)" >&2; exit 1; }
  LOG=$(mktemp)
  RUST_LOG=warn "$BIN" --data "$DATA" serve --addr 127.0.0.1:0 >"$LOG" 2>/dev/null &
  SERVER_PID=$!
  for _ in $(seq 1 600); do grep -q 'http://' "$LOG" && break; sleep 0.1; done
  BASE=$(grep -o 'http://[0-9.:]*' "$LOG" | head -1)
  [ -n "$BASE" ] || { echo "bench: the server did not start" >&2; exit 1; }
fi
case "$BASE" in http://127.*|http://localhost*) ;; *) echo "bench: only local servers ($BASE)" >&2; exit 1;; esac
echo "server: $BASE   wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per scenario"

# Wait for the start-up conflict scan (it runs on every core) so it does not skew the figures.
curl -fsS "$BASE/api/conflicts" >/dev/null

# The farmland's extent, from the layer figures.
BBOX=$(curl -fsS "$BASE/api/layers" | grep -o '"bbox":\[[^]]*\][^}]*"id":"farmland"' | grep -o '\[[^]]*\]' | tr -d '[]' | tr ',' ' ')
[ -n "$BBOX" ] || BBOX="111.93 37.26 112.33 37.54"

SCRIPTS=$(mktemp -d)
cat >"$SCRIPTS/check.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/geo+json"
wrk.body = '{"type":"Polygon","coordinates":[[[112.10,37.40],[112.112,37.40],[112.112,37.41],[112.10,37.41],[112.10,37.40]]]}'
LUA
cat >"$SCRIPTS/tiles.lua" <<'LUA'
-- Cycles through every z12–z14 tile over a lon/lat box: wrk -s tiles.lua -- minlon minlat maxlon maxlat
local paths, i = {}, 0
local function tx(lon, z) return math.floor((lon + 180) / 360 * 2 ^ z) end
local function ty(lat, z)
  local r = math.rad(lat)
  return math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2 ^ z)
end
function init(args)
  local x0, y0, x1, y1 = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  for z = 12, 14 do
    for x = tx(x0, z), tx(x1, z) do
      for y = ty(y1, z), ty(y0, z) do
        paths[#paths + 1] = string.format("/tiles/farmland/%d/%d/%d.pbf", z, x, y)
      end
    end
  end
  -- Each thread starts at a different place in the list.
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA

run() {
  local name=$1; shift
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  local rps p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-34s %10s req/s   p99 %8s%s\n' "$name" "$rps" "$p99" "${non2xx:+   non-2xx: $non2xx}"
}

run "POST /api/check (1.2 km² site)" -s "$SCRIPTS/check.lua" "$BASE/api/check"
run "farmland tiles z12-14 (cold cache)" -s "$SCRIPTS/tiles.lua" "$BASE" -- $BBOX
run "farmland tiles z12-14 (warm cache)" -s "$SCRIPTS/tiles.lua" "$BASE" -- $BBOX
rm -rf "$SCRIPTS"
