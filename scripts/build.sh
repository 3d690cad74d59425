#!/usr/bin/env bash
# Builds every TypeScript project (libs, api, worker) and the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -b tsconfig.json
NEXT_TELEMETRY_DISABLED=1 npm run build --silent -w @mendflow/web
