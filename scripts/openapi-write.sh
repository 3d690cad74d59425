#!/usr/bin/env bash
# Writes the OpenAPI document the API's code produces (apps/api/openapi.json) and the SDK's types generated
# from it (libs/sdk/src/openapi.ts). Both are committed; CI fails when either drifts from the code.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load-env.sh
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/mendflow}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export MENDFLOW_SECRET_KEY="${MENDFLOW_SECRET_KEY:-$(printf 'ab%.0s' {1..32})}"
npx --no-install tsc -b apps/api
node apps/api/dist/openapi-export.js apps/api/openapi.json
npx --no-install openapi-typescript apps/api/openapi.json -o libs/sdk/src/openapi.ts
