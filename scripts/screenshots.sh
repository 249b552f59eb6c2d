#!/usr/bin/env bash
# Photographs home, a consultation, a proposal, search and the profile at 320 and 1280
# pixels from a demo server into web/screenshots/ (the README's current look).
# Usage: scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
scripts/build.sh >/dev/null
dir=$(mktemp -d /tmp/mitreden-shots.XXXXXX)
port=${SHOTS_PORT:-18099}
MITREDEN_DATA_DIR=$dir MITREDEN_ADDR=127.0.0.1:$port MITREDEN_BASE_URL=http://127.0.0.1:$port \
  MITREDEN_LOG_LEVEL=warn bin/mitreden serve --demo >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
go run ./scripts/screenshots -base "http://127.0.0.1:$port" -out web/screenshots
