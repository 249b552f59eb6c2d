#!/usr/bin/env bash
# Installs what is missing (npm packages, Debian chromium, staticcheck) and runs
# go vet, staticcheck and every test under the race detector, browser tests
# included. With MEILI_URL (and MEILI_API_KEY) set, the Meilisearch
# conformance suite runs against that server as well.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing Debian chromium for the browser tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
scripts/assets.sh

echo "== gofmt" >&2
unformatted=$(gofmt -l cmd internal api web/*.go)
if [ -n "$unformatted" ]; then
  echo "not gofmt-ed:" >&2; echo "$unformatted" >&2; exit 1
fi
echo "== go vet" >&2
go vet ./...
echo "== staticcheck" >&2
STATICCHECK_VERSION=v0.8.2
if ! "$(go env GOPATH)/bin/staticcheck" -version 2>/dev/null | grep -q "0.8.2"; then
  GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi
"$(go env GOPATH)/bin/staticcheck" ./...
echo "== go test -race" >&2
export MITREDEN_CHROMIUM=/usr/bin/chromium
# The race detector also turns on the compiler's unsafe-pointer checks
# (checkptr) everywhere. In the SQLite engine under the embedded store (C
# translated to Go, modernc.org) they cost a third of the store's time and
# check code that is not ours; the race detector still watches it. The
# process tests of cmd/mitreden build the server with the same flags.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-gcflags=modernc.org/...=-d=checkptr=0"
# Every package runs once, under the race detector: the store, search, service,
# HTTP and cmd packages start goroutines (cmd's process tests build the server
# with -race too), and running the few others without it would save seconds
# while a new package could slip through unchecked.
if [ -n "${MEILI_URL:-}" ]; then
  echo "test: MEILI_URL is set; internal/search/meili runs the conformance suite against $MEILI_URL" >&2
  export MEILI_URL MEILI_API_KEY="${MEILI_API_KEY:-}"
fi
# The tests of internal/http run one after another inside their package (each starts its own
# server and store), so that package alone took longer than all the others together while the
# machine's second core idled. They run as three processes beside the other packages: the
# browser tests (TestBrowser*, which mostly wait for Chromium), the access matrix with
# moderation, council and meetings, and the rest. Every test runs once; the exit code fails if
# any process failed, and each line of the three says which one printed it.
# Arguments (such as -run) select tests themselves: then one run as given.
if [ $# -gt 0 ]; then
  exec go test -race -count=1 -timeout 25m "$@" ./...
fi
heavy='^Test(Matrix|Moderation|Council|Meetings)'
others=$(go list ./... | grep -v '/internal/http$')
pids=()
go test -race -count=1 -timeout 25m -run '^TestBrowser' ./internal/http > >(sed 's/^/[browser] /') 2>&1 &
pids+=($!)
go test -race -count=1 -timeout 25m -skip '^TestBrowser' -run "$heavy" ./internal/http > >(sed 's/^/[http 1] /') 2>&1 &
pids+=($!)
go test -race -count=1 -timeout 25m -skip "^TestBrowser|$heavy" ./internal/http > >(sed 's/^/[http 2] /') 2>&1 &
pids+=($!)
status=0
# shellcheck disable=SC2086 # one package path per word
go test -race -count=1 -timeout 25m $others || status=$?
for pid in "${pids[@]}"; do
  wait "$pid" || status=$?
done
exit "$status"
