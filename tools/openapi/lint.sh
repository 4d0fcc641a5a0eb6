#!/usr/bin/env bash
# Lints docs/exchange/openapi.yaml (and every example it references) with @redocly/cli, pinned by
# package-lock.json here. Installs it with `npm ci` on first use. Exit 77 (ctest: skipped) only
# when no usable Node.js is installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm not installed; the OpenAPI lint needs Node.js >= 20 (see tools/openapi/)"
  exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 20 )); then
  echo "SKIP: Node.js $(node --version) is too old for @redocly/cli (needs >= 20)"
  exit 77
fi
if [[ ! -x "$here/node_modules/.bin/redocly" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
# The banner about Node.js versions goes to stderr; the verdict and the problems to stdout.
exec ./node_modules/.bin/redocly lint --config redocly.yaml ../../docs/exchange/openapi.yaml
