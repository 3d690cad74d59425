#!/usr/bin/env bash
# Sets Mendflow up to run on this machine without Docker, in one command: Node 24 (installed into
# .tools/ when the system Node is older: isolated-vm needs 24), the dependencies, a .env with
# generated secrets when there is none (init-env.sh), the build, and the database (created if missing,
# then migrated).
# Needs PostgreSQL and Redis reachable at the addresses in .env. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 NEXT_TELEMETRY_DISABLED=1
. scripts/ensure-node.sh
echo "[setup] node $(node -v), npm $(npm -v)"
bash scripts/init-env.sh
npm ci --no-audit --no-fund
npm run build
npm run db:migrate
echo "[setup] done. Start Mendflow with: npm run start:api, npm run start:worker and npm run start:web (or npm run dev)"
