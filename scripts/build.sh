#!/usr/bin/env bash
# Builds bin/mitreden with the web assets embedded. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/assets.sh
version=$(git describe --always --dirty 2>/dev/null || echo dev)
mkdir -p bin
go build -trimpath -ldflags "-s -w -X main.Version=${version}" -o bin/mitreden ./cmd/mitreden
echo "built bin/mitreden (${version})" >&2
