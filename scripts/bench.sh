#!/usr/bin/env bash
# Measures throughput and latency of the hot pages and API calls with wrk on a
# generated dataset. Usage: scripts/bench.sh [PROPOSALS] [DURATION]
#   PROPOSALS  proposals to generate with `mitreden seed --scale` (default 1000)
#   DURATION   wrk duration per endpoint (default 15s)
# Everything runs on loopback against a temporary data dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
DURATION=${2:-15s}
PORT=${BENCH_PORT:-18080}
CONNS=${BENCH_CONNECTIONS:-8}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
scripts/build.sh >/dev/null 2>&1

dir=$(mktemp -d /tmp/mitreden-bench.XXXXXX)
export MITREDEN_DATA_DIR=$dir MITREDEN_ADDR=127.0.0.1:$PORT MITREDEN_BASE_URL=http://127.0.0.1:$PORT
export MITREDEN_REGISTER_MAX_PER_IP=1000000 MITREDEN_LOGIN_MAX_PER_IP=1000000 MITREDEN_LOG_LEVEL=warn
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

echo "seeding $N proposals into $dir" >&2
start=$(date +%s)
bin/mitreden seed --scale "$N" >&2
echo "seeded in $(( $(date +%s) - start ))s" >&2

bin/mitreden serve 2>"$dir/serve.log" &
server=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

base=http://127.0.0.1:$PORT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
cid=$(curl -fsS "$base/api/v1/consultations?phase=open&per_page=1" | json 'd["items"][0]["id"]')
pid=$(curl -fsS "$base/api/v1/consultations/$cid/proposals?per_page=1&sort=supported" | json 'd["items"][0]["id"]')
pids=$(curl -fsS "$base/api/v1/consultations/$cid/proposals?per_page=100" | json '" ".join(i["id"] for i in d["items"])')

# Voters: fresh accounts, one bearer token each.
tokens="$dir/tokens.txt"
: > "$tokens"
for i in $(seq 1 64); do
  email="bench-voter-$i@mitreden.example"
  curl -fsS -o /dev/null -X POST "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench voter password $i\",\"display_name\":\"Bench $i\"}"
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench voter password $i\"}" | json 'd["token"]' >> "$tokens"
done

cat > "$dir/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.1f %.1f %.1f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests, errors))
end
LUA
cat > "$dir/vote.lua" <<LUA
local tokens, ids = {}, {}
for line in io.lines("$tokens") do tokens[#tokens + 1] = line end
for id in string.gmatch("$pids", "%S+") do ids[#ids + 1] = id end
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n % #tokens) + 1]
  local id = ids[(math.floor(n / #tokens) % #ids) + 1]
  local value = (n % 2 == 0) and "support" or "support"
  return wrk.format("PUT", "/api/v1/proposals/" .. id .. "/vote",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t }, '{"value":"' .. value .. '"}')
end
LUA
cat "$dir/report.lua" >> "$dir/vote.lua"

run() { # name url [script]
  local script=${3:-$dir/report.lua}
  local line
  line=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 30s -s "$script" "$2" | grep '^RESULT' || true)
  read -r _ rps p50 p95 p99 total errors <<<"$line"
  printf '| %-34s | %8s | %7s | %7s | %7s | %6s |\n' "$1" "$rps" "$p50" "$p95" "$p99" "$errors"
}

echo
echo "dataset: $N proposals (about $((N * 10)) comments, $((N * 20)) votes), $(nproc) cores, embedded store, ${CONNS} connections, ${DURATION} each"
echo
echo "| endpoint                           |    req/s | p50 ms  | p95 ms  | p99 ms  | errors |"
echo "|------------------------------------|----------|---------|---------|---------|--------|"
run "consultation page (HTML)" "$base/consultations/$cid"
run "proposal page with comments (HTML)" "$base/proposals/$pid"
run "GET /api/v1/proposals/{id}" "$base/api/v1/proposals/$pid"
run "PUT /api/v1/proposals/{id}/vote" "$base" "$dir/vote.lua"
