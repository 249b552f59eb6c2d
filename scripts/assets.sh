#!/usr/bin/env bash
# Installs the npm packages for web assets (when missing or outdated) and copies
# what the binary embeds into web/static/vendor. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "assets: npm is missing; installing Debian's nodejs and npm" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

stamp=web/node_modules/.mitreden-installed
if [ ! -f "$stamp" ] || [ web/package.json -nt "$stamp" ] || [ web/package-lock.json -nt "$stamp" ]; then
  echo "assets: installing npm packages" >&2
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi
# The browser tests inject both accessibility checkers into every page they
# visit: axe-core and HTML_CodeSniffer (pa11y's maintained release).
for f in web/node_modules/axe-core/axe.min.js web/node_modules/@pa11y/html_codesniffer/build/HTMLCS.js; do
  [ -f "$f" ] || { echo "assets: $f is missing after npm ci" >&2; exit 1; }
done
# Keep Go tooling out of node_modules (./... would otherwise walk it).
printf 'module ignore/node_modules\n' > web/node_modules/go.mod

vendor=web/static/vendor
kern=web/node_modules/@kern-ux/native/dist
mkdir -p "$vendor/kern/fonts" "$vendor/htmx"
cp "$kern/kern.min.css" "$vendor/kern/kern.min.css"
cp "$kern/fonts/fira-sans.css" "$vendor/kern/fonts/fira-sans.css"
rm -rf "$vendor/kern/fonts/fira-sans"
mkdir -p "$vendor/kern/fonts/fira-sans"
# Only the weights KERN uses (regular, medium, semibold, bold and italics).
for f in "$kern"/fonts/fira-sans/*.woff2; do
  cp "$f" "$vendor/kern/fonts/fira-sans/"
done
cp web/node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx/htmx.min.js"
cp web/node_modules/@kern-ux/native/LICENSE.md "$vendor/kern/LICENSE.md"
