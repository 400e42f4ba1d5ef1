#!/usr/bin/env bash
# Mixed load against the release server for LOAD_SECONDS (default 300), all at once, with wrk:
#   tiles     farmland vector tiles z10–z16 over the farmland's extent, random order
#   identify  GET /api/identify at random positions
#   check     POST /api/check with varied small sites (squares, triangles, 50–400 m)
#   exports   GET /api/layers/red_line.geojson and /api/conflicts.geojson
# while the server's RSS (VmRSS) is sampled every RSS_EVERY seconds. Prints requests, req/s
# and p50/p99 latency per kind, errors (non-2xx/3xx, socket) and the RSS of the first minute
# against the last, and writes out/load/results.json. Fails when any request failed or the
# last minute's mean RSS is more than 10 % from the first minute's.
# Usage: bench/load.sh   (env: LOAD_SECONDS, PORT (0: a free one), DATA, BIN, RSS_EVERY)
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD_SECONDS=${LOAD_SECONDS:-300}
PORT=${PORT:-0}
DATA=${DATA:-data/wenshui}
RSS_EVERY=${RSS_EVERY:-2}
OUT=out/load
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/planmap}
command -v wrk >/dev/null || { echo "load: wrk is not installed (make deps installs it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "load: $BIN not built (make build)" >&2; exit 1; }
mkdir -p "$OUT"
export LOAD_LUA="$PWD/bench/load"

SERVER_PID=
SAMPLER_PID=
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
RUST_LOG=warn "$BIN" --data "$DATA" serve --addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do grep -q 'http://' "$OUT/server.log" && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.:]*' "$OUT/server.log" | head -1)
[ -n "$BASE" ] || { echo "load: the server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }
# The start-up conflict scan runs on every core: wait for it.
curl -fsS "$BASE/api/conflicts" >/dev/null
BBOX=$(curl -fsS "$BASE/api/layers" | grep -o '"bbox":\[[^]]*\][^}]*"id":"farmland"' | grep -o '\[[^]]*\]' | tr -d '[]' | tr ',' ' ')
[ -n "$BBOX" ] || BBOX="111.93 37.26 112.33 37.54"
# Varied small sites, squares and triangles of 50–400 m, kept when the server checks them
# (the farmland box reaches outside the county, and a site there is refused).
export LOAD_SITES="$OUT/sites.txt"
python3 - "$BASE" "$LOAD_SITES" $BBOX <<'PY'
import json, random, sys, urllib.request, urllib.error
base, path = sys.argv[1], sys.argv[2]
x0, y0, x1, y1 = map(float, sys.argv[3:7])
rng, kept, tried = random.Random(7), [], 0
while len(kept) < 200 and tried < 2000:
    tried += 1
    lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
    h = rng.uniform(50, 400) / 111000 / 2
    ring = ([[lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h]]
            if tried % 2 else [[lon - h, lat - h], [lon + h, lat - h], [lon, lat + h]])
    ring = [[round(v, 6) for v in p] for p in ring]
    body = json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
    req = urllib.request.Request(base + "/api/check", data=body.encode(),
                                 headers={"Content-Type": "application/geo+json"})
    try:
        urllib.request.urlopen(req).read()
        kept.append(body)
    except urllib.error.HTTPError:
        pass
if len(kept) < 20:
    sys.exit(f"load: only {len(kept)} of {tried} drawn sites are checked: is the data right?")
open(path, "w").write("\n".join(kept) + "\n")
PY
echo "server: $BASE (pid $SERVER_PID)   load: ${LOAD_SECONDS}s   farmland box: $BBOX"

# RSS in kB every RSS_EVERY seconds: "seconds-since-start kB".
: >"$OUT/rss.txt"
START=$(date +%s.%N)
(
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
    [ -n "$kb" ] && awk -v a="$(date +%s.%N)" -v b="$START" -v kb="$kb" \
      'BEGIN { printf "%.1f %d\n", a - b, kb }' >>"$OUT/rss.txt"
    sleep "$RSS_EVERY"
  done
) &
SAMPLER_PID=$!

# kind  connections  script  [path]
run() {
  local kind=$1 conns=$2
  wrk -t1 -c"$conns" -d"${LOAD_SECONDS}s" --timeout 30s -s "$LOAD_LUA/$kind.lua" "$BASE" -- $BBOX \
    >"$OUT/wrk-$kind.txt" 2>&1
}
run tiles 8 & P1=$!
run identify 4 & P2=$!
run check 4 & P3=$!
run exports 2 & P4=$!
status=0
for p in $P1 $P2 $P3 $P4; do wait "$p" || status=1; done
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
[ "$status" = 0 ] || { echo "load: wrk failed:" >&2; tail -n 5 "$OUT"/wrk-*.txt >&2; exit 1; }

python3 - "$OUT" "$LOAD_SECONDS" <<'PY'
import json, sys, statistics
out, seconds = sys.argv[1], int(sys.argv[2])
kinds, failed = [], []
for k in ["tiles", "identify", "check", "exports"]:
    lines = [l for l in open(f"{out}/wrk-{k}.txt") if l.startswith('{"kind"')]
    if not lines:
        sys.exit(f"load: no summary from wrk for {k}: see {out}/wrk-{k}.txt")
    kinds.append(json.loads(lines[-1]))
rss = [tuple(map(float, l.split())) for l in open(f"{out}/rss.txt") if l.strip()]
window = 60 if seconds >= 180 else max(seconds // 5, 1)
first = [kb for t, kb in rss if t <= window]
last = [kb for t, kb in rss if t >= rss[-1][0] - window]
first_mb, last_mb = statistics.mean(first) / 1024, statistics.mean(last) / 1024
change = (last_mb - first_mb) / first_mb
print(f"{'kind':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
      f"{'non-2xx':>9}{'socket':>8}")
total = {"requests": 0, "errors": 0}
for k in kinds:
    secs = k["duration_us"] / 1e6
    k["rps"] = round(k["requests"] / secs, 1)
    k["socket_errors"] = k["connect"] + k["read"] + k["write"] + k["timeout"]
    total["requests"] += k["requests"]
    total["errors"] += k["non2xx"] + k["socket_errors"]
    print(f"{k['kind']:<10}{k['requests']:>10}{k['rps']:>10}{k['p50_ms']:>10.1f}"
          f"{k['p99_ms']:>10.1f}{k['max_ms']:>10.1f}{k['non2xx']:>9}{k['socket_errors']:>8}")
    if k["non2xx"] or k["socket_errors"]:
        failed.append(f"{k['kind']}: {k['non2xx']} non-2xx, {k['socket_errors']} socket errors")
total["rps"] = round(total["requests"] / seconds, 1)
print(f"{'all':<10}{total['requests']:>10}{total['rps']:>10}")
print(f"RSS: first {window} s mean {first_mb:.1f} MiB, last {window} s mean {last_mb:.1f} MiB "
      f"({change:+.1%}); min {min(kb for _, kb in rss) / 1024:.1f}, "
      f"max {max(kb for _, kb in rss) / 1024:.1f} MiB over {len(rss)} samples")
if abs(change) > 0.10:
    failed.append(f"RSS changed {change:+.1%} from the first to the last {window} s (limit 10 %)")
json.dump({
    "seconds": seconds, "kinds": kinds, "total": total,
    "rss": {"window_s": window, "first_mib": round(first_mb, 1), "last_mib": round(last_mb, 1),
            "change": round(change, 4), "samples": [[round(t, 1), int(kb)] for t, kb in rss]},
    "failures": failed,
}, open(f"{out}/results.json", "w"), indent=1)
print(f"written: {out}/results.json")
if failed:
    print("LOAD FAILED: " + "; ".join(failed))
    sys.exit(1)
print("load OK: no errors, RSS flat within 10 %")
PY
