#!/usr/bin/env bash
# Measures the targets of issue 9 with wrk on a generated dataset, embedded mode.
# Usage: scripts/bench.sh [PROPOSALS] [DURATION]
#   PROPOSALS  proposals to generate with `mitreden seed --scale` (default 1000; about 10
#              comments and 20 votes each), plus one proposal with 20 comments and 8 with
#              1,000 comments (`mitreden seed --thread`)
#   DURATION   wrk duration per row (default 15s)
# Every page is compared with the ceiling: scripts/ceiling renders an html/template page of
# the same byte size from memory with Fiber, measured in the same run on the same machine:
# once through Fiber's html engine with a layout ("ceiling"; the engine renders one layout
# page at a time), once executing html/template directly ("plain"), as the server renders.
# After the load it prints the server's resident memory, checks the counters against what
# the server answered, stops the server and runs `mitreden recount` (one pass over every
# vote and comment), which must repair nothing (no vote or comment counted twice or lost).
# Everything runs on loopback against a temporary data dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
DURATION=${2:-15s}
PORT=${BENCH_PORT:-18080}
CEILING_PORT=${BENCH_CEILING_PORT:-18081}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=2   # wrk threads
LONG=1000   # comments of the long threads
LONGS=8     # long threads, so comment writes spread over several

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
scripts/build.sh >/dev/null 2>&1

dir=$(mktemp -d /tmp/mitreden-bench.XXXXXX)
go build -o "$dir/ceiling" ./scripts/ceiling
export MITREDEN_DATA_DIR=$dir/data MITREDEN_ADDR=127.0.0.1:$PORT MITREDEN_BASE_URL=http://127.0.0.1:$PORT
# The load comes from one address and a few accounts: raise the limits a visitor meets.
export MITREDEN_REGISTER_MAX_PER_IP=1000000 MITREDEN_LOGIN_MAX_PER_IP=1000000 MITREDEN_LOG_LEVEL=warn
export MITREDEN_WRITE_MAX_PER_IP=1000000 MITREDEN_COMMENT_MAX_PER_MINUTE=1000000 MITREDEN_PROPOSAL_MAX_PER_DAY=1000000
# BENCH_PPROF=DIR: the server serves pprof, and each row's CPU profile goes to DIR/<row>.pprof.
if [ -n "${BENCH_PPROF:-}" ]; then
  mkdir -p "$BENCH_PPROF"
  export MITREDEN_PPROF_ADDR=127.0.0.1:$((PORT + 10))
fi
# The writers register through the API and write at once: no mail to confirm their addresses.
export MITREDEN_VERIFY_EMAIL=false
server="" ceiling="" plain=""
stop() { # pid: ends a process this script started and waits for it
  [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop "$server"; stop "$ceiling"; stop "$plain"
  if [ "$rc" != 0 ] && [ -f "$dir/serve.log" ]; then
    cp "$dir/serve.log" /tmp/mitreden-bench-serve.log && echo "server log kept in /tmp/mitreden-bench-serve.log" >&2
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# settle waits (up to a minute) until the server's CPU time grows by less than 6 % of
# a core: wrk stops measuring at the end of a row but the server still answers what
# was in flight, which must not load the next row.
settle() {
  local before after
  for _ in $(seq 1 120); do
    before=$(awk '{print $14 + $15}' "/proc/$server/stat")
    sleep 0.5
    after=$(awk '{print $14 + $15}' "/proc/$server/stat")
    [ $((after - before)) -lt 3 ] && return
  done
}
stage() { echo "$(date +%T) $*" >&2; }

echo "seeding $N proposals into $dir" >&2
start=$(date +%s)
bin/mitreden seed --scale "$N" >&2
pid20=$(bin/mitreden seed --thread 20)
long_ids=$(bin/mitreden seed --thread "$LONG" --threads "$LONGS" | tr '\n' ' ')
pid1000=${long_ids%% *}
seeded=$(( $(date +%s) - start ))
echo "seeded in ${seeded}s" >&2

bin/mitreden serve 2>"$dir/serve.log" &
server=$!
"$dir/ceiling" -addr "127.0.0.1:$CEILING_PORT" 2>"$dir/ceiling.log" &
ceiling=$!
"$dir/ceiling" -plain -addr "127.0.0.1:$((CEILING_PORT + 1))" 2>>"$dir/ceiling.log" &
plain=$!
base=http://127.0.0.1:$PORT
started=$(date +%s.%N)
for _ in $(seq 1 600); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
ready=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
for port in "$CEILING_PORT" "$((CEILING_PORT + 1))"; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/1000" >/dev/null 2>&1 && break; sleep 0.1; done
done

py() { python3 -c "$1"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The scale consultations (not those of the long threads) and the first 100 of each one's
# proposals: the targets of the writes, whose counters are checked afterwards.
cons=$(curl -fsS "$base/api/v1/consultations?phase=open&per_page=100" |
  json '" ".join(c["id"] for c in d["items"] if c["title"].startswith("Skalierungstest"))')
cid=${cons%% *}
pids=""
for c in $cons; do
  pids+=" $(curl -fsS "$base/api/v1/consultations/$c/proposals?per_page=100&sort=newest" | json '" ".join(i["id"] for i in d["items"])')"
done
# counters prints the sum of support tallies and of comment counts of the written proposals.
counters() {
  BASE=$base CONS="$cons" LONG_IDS="$long_ids" py '
import json, os, urllib.request
get = lambda p: json.load(urllib.request.urlopen(os.environ["BASE"] + p))
items = [i for c in os.environ["CONS"].split() for i in get(f"/api/v1/consultations/{c}/proposals?per_page=100&sort=newest")["items"]]
items += [get(f"/api/v1/proposals/{p}") for p in os.environ["LONG_IDS"].split()]
print(sum(i["tally"].get("support", 0) for i in items), sum(i["comment_count"] for i in items))'
}

# Writers: fresh accounts, one bearer token each (bearer tokens skip CSRF).
tokens="$dir/tokens.txt"
: > "$tokens"
stage "accounts"
for i in $(seq 1 32); do
  email="bench-writer-$i@mitreden.example"
  curl -fsS -o /dev/null -X POST "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench writer password $i\",\"display_name\":\"Bench $i\"}"
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench writer password $i\"}" | json 'd["token"]' >> "$tokens"
done

# report.lua prints one RESULT line: req/s p50 p95 p99 requests errors changed. Errors are
# failed connections and answers other than 2xx/3xx; "changed" counts vote answers that
# say the vote was new (each wrk thread counts its own, summed at the end).
cat > "$dir/report.lua" <<'LUA'
local threads = {}
setup = function(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local changed = 0
  for _, t in ipairs(threads) do changed = changed + (t:get("changed") or 0) end
  io.write(string.format("RESULT %.1f %.1f %.1f %.1f %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests, errors, changed))
end
LUA
# writes.lua (template): thread t of T sends requests t, t+T, t+2T, … of one sequence that
# walks every token with every proposal, so no (user, proposal) pair repeats before all
# were used: each vote is new.
cat > "$dir/writes.lua" <<'LUA'
local tokens, ids = {}, {}
for line in io.lines("@TOKENS@") do tokens[#tokens + 1] = line end
for id in string.gmatch("@IDS@", "%S+") do ids[#ids + 1] = id end
local n, step = nil, @THREADS@
changed = 0
init = function(args) n = tid end
request = function()
  local t = tokens[(n % #tokens) + 1]
  local id = ids[(math.floor(n / #tokens) % #ids) + 1]
  n = n + step
  @REQUEST@
end
response = function(status, headers, body)
  if status == 200 and string.find(body, '"changed":true', 1, true) then changed = changed + 1 end
end
LUA
writes() { # ids request-expression > script
  sed -e "s|@TOKENS@|$tokens|" -e "s|@IDS@|$1|" -e "s|@THREADS@|$THREADS|" -e "s|@REQUEST@|$2|" "$dir/writes.lua"
  cat "$dir/report.lua"
}
writes "$pids" 'return wrk.format("PUT", "/api/v1/proposals/" .. id .. "/vote", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t }, "{\\"value\\":\\"support\\"}")' > "$dir/vote.lua"
comment='return wrk.format("POST", "/api/v1/proposals/" .. id .. "/comments", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t }, "{\\"body\\":\\"Messkommentar " .. n .. ": Der Vorschlag hilft, wenn die Umsetzung die Anwohner früh einbindet.\\"}")'
writes "$pids" "$comment" > "$dir/comment10.lua"
writes "$long_ids" "$comment" > "$dir/comment1000.lua"

failed=() # rows with errors: the run fails after printing them
measure() { # url [script]: sets rps p50 p95 p99 total errors changed
  local line
  settle
  stage "wrk $1 ${2:+$(basename "$2")}"
  if [ -n "${BENCH_PPROF:-}" ]; then
    local name
    name=$(basename "${2:-$1}" .lua | tr -c 'A-Za-z0-9\n' '_')
    curl -fsS -o "$BENCH_PPROF/$name.pprof" "http://$MITREDEN_PPROF_ADDR/debug/pprof/profile?seconds=10" &
  fi
  line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 30s -s "${2:-$dir/report.lua}" "$1" | grep '^RESULT' || true)
  read -r _ rps p50 p95 p99 total errors changed <<<"$line"
  if [ "${total:-0}" = 0 ]; then # not one answer within the row's duration
    rps=0 p50=">$DURATION" p95=">$DURATION" p99=">$DURATION" total=0 errors=${errors:-0} changed=0
  fi
  if [ "${errors:-0}" != 0 ] || [ "${total:-0}" = 0 ]; then
    failed+=("$1 ${2:+$(basename "$2")}: ${errors:-0} errors of ${total:-0} answers")
  fi
}
size() { # url [token]: the size of a 200 answer, else 0
  curl -sS -o /dev/null -w '%{http_code} %{size_download}' ${2:+-H "Authorization: Bearer $2"} "$1" |
    awk '{print ($1 == 200 ? $2 : 0)}'
}
kb() { py "print(f'{$1 / 1000:.1f}')"; }
read_rows=() write_rows=()
share() { py "print(f'{100 * $1 / $2:.1f} %' if $2 > 0 else '')"; }
page() { # name url [token]: a page measured against the ceiling of its size
  local bytes=$(size "$2" "${3:-}") c_rps p_rps script=""
  if [ -n "${3:-}" ]; then
    script=$dir/reader.lua
    { echo "wrk.headers[\"Authorization\"] = \"Bearer $3\""; cat "$dir/report.lua"; } > "$script"
  fi
  measure "$2" "$script"
  local r=("$rps" "$p50" "$p95" "$p99" "$errors")
  c_rps=0 p_rps=0
  if [ "$bytes" -gt 0 ]; then # no ceiling for a page that failed
    measure "http://127.0.0.1:$CEILING_PORT/$bytes"
    c_rps=$rps
    measure "http://127.0.0.1:$((CEILING_PORT + 1))/$bytes"
    p_rps=$rps
  fi
  read_rows+=("$(printf '| %-38s | %7s | %8s | %7s | %7s | %7s | %6s | %8s | %7s | %8s | %7s |' "$1" "$(kb "$bytes")" "${r[0]}" "${r[1]}" \
    "${r[2]}" "${r[3]}" "${r[4]}" "$c_rps" "$(share "${r[0]}" "$c_rps")" "$p_rps" "$(share "${r[0]}" "$p_rps")")")
  echo "${read_rows[-1]}" >&2
}
api() { # name url
  local bytes=$(size "$2")
  measure "$2"
  read_rows+=("$(printf '| %-38s | %7s | %8s | %7s | %7s | %7s | %6s | %8s | %7s | %8s | %7s |' "$1" "$(kb "$bytes")" "$rps" "$p50" "$p95" "$p99" "$errors" "" "" "" "")")
}
write() { # name script
  measure "$base" "$2"
  write_rows+=("$(printf '| %-38s | %8s | %7s | %7s | %7s | %6s |' "$1" "$rps" "$p50" "$p95" "$p99" "$errors")")
}

curl -fsS -o /dev/null "$base/proposals/$pid1000" # warm up
curl -fsS -o /dev/null "$base/consultations/$cid"
load0=$(uptime | sed 's/.*load average: //')
page "consultation page (HTML)" "$base/consultations/$cid"
page "proposal page, 20 comments (HTML)" "$base/proposals/$pid20"
page "proposal page, $LONG comments (HTML)" "$base/proposals/$pid1000"
[ "${BENCH_LOGGED_IN:-1}" = 1 ] && page "same, logged in" "$base/proposals/$pid1000" "$(head -n 1 "$tokens")"
api "comments API, first page, $LONG" "$base/api/v1/proposals/$pid1000/comments"
api "GET /api/v1/proposals/{id}" "$base/api/v1/proposals/$pid20"

read -r votes0 comments0 <<<"$(counters)"
write "POST comment, threads of 10" "$dir/comment10.lua"
written=$((total - errors))
write "POST comment, threads of $LONG" "$dir/comment1000.lua"
written=$((written + total - errors))
write "PUT vote (each a new one)" "$dir/vote.lua"
new_votes=$changed
settle
read -r votes1 comments1 <<<"$(counters)"
load1=$(uptime | sed 's/.*load average: //')
rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
hwm=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")

echo
echo "dataset: $N proposals in 20 consultations (about $((N * 10)) comments, $((N * 20)) votes) plus one"
echo "proposal with 20 and $LONGS with $LONG comments; seeded in ${seeded}s; ready ${ready}s after start."
echo "$(nproc) cores, embedded store, wrk on loopback, $CONNS connections, $DURATION per row."
echo "load average (1, 5, 15 min) before: $load0; after: $load1"
echo
echo "| read                                   | size kB | pages/s  | p50 ms  | p95 ms  | p99 ms  | errors | ceiling/s| share   | plain/s  | share   |"
echo "|----------------------------------------|---------|----------|---------|---------|---------|--------|----------|---------|----------|---------|"
printf '%s\n' "${read_rows[@]}"
echo
echo "| write                                  | writes/s | p50 ms  | p95 ms  | p99 ms  | errors |"
echo "|----------------------------------------|----------|---------|---------|---------|--------|"
printf '%s\n' "${write_rows[@]}"
echo
echo "server memory after the load: VmRSS $rss MB (peak VmHWM $hwm MB)"
# wrk does not count the answers still in flight when it stops (at most one per connection),
# so the server may have applied up to $CONNS writes more than wrk saw.
echo "votes: $new_votes answered as new, support tallies grew by $((votes1 - votes0))"
echo "comments: $written answered 2xx, comment counts grew by $((comments1 - comments0))"
ok=1
within() { [ "$1" -ge 0 ] && [ "$1" -le "$2" ] || ok=0; }
within "$((votes1 - votes0 - new_votes))" "$CONNS"
within "$((comments1 - comments0 - written))" "$((2 * CONNS))"
stop "$server"
server=""
stage "recount"
rstart=$(date +%s.%N)
recount=$(bin/mitreden recount | tail -n 1)
echo "after stopping the server, mitreden recount ($(py "print(f'{$(date +%s.%N) - $rstart:.0f}')") s): $recount"
if [ $ok = 1 ] && [ "$recount" = "recount done: 0 counters repaired" ]; then
  echo "double counts: none"
else
  echo "double counts: COUNTERS DISAGREE" >&2
  exit 1
fi
# A row whose requests failed measured refusals, not the work: the figures do not count.
if [ ${#failed[@]} -gt 0 ]; then
  printf 'ERRORS in %s\n' "${failed[@]}" >&2
  exit 1
fi
