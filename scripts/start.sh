#!/usr/bin/env bash
# Starts one Mendflow process on this machine: api, worker or web (npm run start:<name>). Node 24 goes
# first on PATH, and .env is read when present (the real environment wins; see load-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-node.sh
. scripts/load-env.sh
case "${1:-}" in
  api) exec node --enable-source-maps apps/api/dist/main.js ;;
  # isolated-vm asks for --no-node-snapshot in every process that loads it (the sandbox processes too).
  worker) exec node --no-node-snapshot --enable-source-maps apps/worker/dist/main.js ;;
  web) exec npm run start --silent -w @mendflow/web ;;
  *) echo "usage: scripts/start.sh api|worker|web" >&2; exit 2 ;;
esac
