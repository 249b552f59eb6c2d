#!/usr/bin/env bash
# Builds and starts mitreden with demo content on http://127.0.0.1:8080,
# storing everything under ./data. Extra arguments go to `mitreden serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec bin/mitreden serve --demo "$@"
