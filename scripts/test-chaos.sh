#!/usr/bin/env bash
# npm run test:chaos: the fault-injection suite (e2e/chaos). It builds the apps, then starts a PostgreSQL
# cluster and a Redis of its own (on free ports; the shared 5432/6379 are never touched), the API and two
# workers, and kills and restarts them under load. Needs root (PostgreSQL runs as the postgres user
# through runuser), the PostgreSQL 15 server binaries (MENDFLOW_PG_BIN overrides their folder) and
# redis-server. Prints the figures and writes them to artifacts/chaos-figures.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 MENDFLOW_CHAOS=1
npx --no-install tsc -b tsconfig.json
npx --no-install vitest run --project chaos "$@"
