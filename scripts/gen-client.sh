#!/usr/bin/env bash
# Regenerate the dashboard's typed API client (web/src/api/schema.d.ts) from the OpenAPI
# document of create_app, exported without a running server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" scripts/export_openapi.py "$tmp/openapi.json"
cd web
npx --no-install openapi-typescript "$tmp/openapi.json" -o src/api/schema.d.ts
