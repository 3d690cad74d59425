#!/usr/bin/env bash
# Local development without Docker: builds, migrates, then runs api, worker and web together
# (Ctrl-C stops all three). Reads .env if present (the real environment wins).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load-env.sh
bash scripts/build.sh
bash scripts/db-migrate.sh
trap 'kill 0' EXIT INT TERM
node --enable-source-maps apps/api/dist/main.js &
node --no-node-snapshot --enable-source-maps apps/worker/dist/main.js &
npm run start --silent -w @mendflow/web &
wait
